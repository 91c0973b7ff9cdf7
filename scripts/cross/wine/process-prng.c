/* Stand-in for bcryptprimitives.dll, whose ProcessPrng export Wine 8 lacks and Rust's standard
 * library calls for its random numbers (HashMap keys, etc.). scripts/check-desktop-platforms.sh
 * compiles it with mingw and puts it next to the Windows test binary run under Wine. */
#include <windows.h>
#include <bcrypt.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
  while (len > 0) { /* BCryptGenRandom takes a ULONG length */
    ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
    if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, data, n, BCRYPT_USE_SYSTEM_PREFERRED_RNG)))
      return FALSE;
    data += n;
    len -= n;
  }
  return TRUE;
}
