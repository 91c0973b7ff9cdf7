/* Stand-in for the Apple SDK's TargetConditionals.h, for cross-checking Apple targets without an
 * SDK (scripts/cross/apple-cc-env.sh): the TARGET_OS_* macros, from what clang's --target defines.
 * Only ring's C code includes it. */
#ifndef TOKEN_VAULT_STANDIN_TARGETCONDITIONALS_H
#define TOKEN_VAULT_STANDIN_TARGETCONDITIONALS_H
#define TARGET_OS_MAC 1
#if defined(__ENVIRONMENT_IPHONE_OS_VERSION_MIN_REQUIRED__)
#define TARGET_OS_OSX 0
#define TARGET_OS_IPHONE 1
#define TARGET_OS_IOS 1
#elif defined(__ENVIRONMENT_MAC_OS_X_VERSION_MIN_REQUIRED__)
#define TARGET_OS_OSX 1
#define TARGET_OS_IPHONE 0
#define TARGET_OS_IOS 0
#else
#error "stand-in TargetConditionals.h: an Apple --target for macOS or iOS is expected"
#endif
#if defined(__APPLE_EMBEDDED_SIMULATOR__)
#define TARGET_OS_SIMULATOR 1
#else
#define TARGET_OS_SIMULATOR 0
#endif
#endif
