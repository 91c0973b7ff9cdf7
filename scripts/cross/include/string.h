/* Stand-in for the SDK's libc string.h (see TargetConditionals.h): the declarations ring uses. */
#ifndef TOKEN_VAULT_STANDIN_STRING_H
#define TOKEN_VAULT_STANDIN_STRING_H
#include <stddef.h>
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
#endif
