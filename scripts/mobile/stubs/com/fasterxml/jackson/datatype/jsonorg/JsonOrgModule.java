// Stand-in for com.fasterxml.jackson.datatype.jsonorg.JsonOrgModule (jackson-datatype-json-org, not packaged by Debian): only the members this check needs.
package com.fasterxml.jackson.datatype.jsonorg;

import com.fasterxml.jackson.databind.module.SimpleModule;

public class JsonOrgModule extends SimpleModule {}
