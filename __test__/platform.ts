// The napi-rs platform name of the running Node (what the generated loader
// in binding.js looks for): `linux-<arch>-gnu|musl`, `darwin-<arch>`, or
// `win32-<arch>-msvc` (the official node.exe; the loader's `-gnu` branch is
// only for a MinGW-built Node). The packaging and panic suites use it so they
// hold on every host, native or emulated, not only on linux-x64-gnu.

function libc(): string {
  if (process.platform === 'linux') {
    const header = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header
    return header?.glibcVersionRuntime === undefined ? '-musl' : '-gnu'
  }
  return process.platform === 'win32' ? '-msvc' : ''
}

/** For example `linux-arm64-gnu`. */
export const PLATFORM = `${process.platform}-${process.arch}${libc()}`
/** The binary's file name, as the build and the platform package name it. */
export const NATIVE = `budgetkernel.${PLATFORM}.node`
/** The platform package's name. */
export const PLATFORM_PACKAGE = `budgetkernel-${PLATFORM}`
