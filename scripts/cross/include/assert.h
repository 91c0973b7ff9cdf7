/* Stand-in for the SDK's libc assert.h (see TargetConditionals.h). No include guard, like the real
 * one: NDEBUG is read at each inclusion. */
#undef assert
#ifdef NDEBUG
#define assert(x) ((void)0)
#else
#define assert(x) ((x) ? (void)0 : __builtin_trap())
#endif
