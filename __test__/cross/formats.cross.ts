// Format checks of the cross-built binaries in npm/<platform>/, above all of
// those that nothing on this machine can run (musl: no musl Node in any
// registry we reach; darwin: no macOS). These are checks of the files, never
// runs: README "Platforms" says which targets were run and where.
//
// Per target: the object format and machine; that it is a Node addon (it
// exports napi_register_module_v1); the libraries it needs (only the
// platform's C library, nothing from the build machine); for glibc, the
// newest symbol version it needs; for musl, no glibc symbol versions at all;
// for macOS, the deployment target (minos) is no newer than the oldest macOS
// Node 20 supports on that CPU.
//
// Run by `npm test` after `node scripts/cross.mjs --all`, through
// vitest.cross.config.ts (the default vitest run has no cross binaries).
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT, TARGETS, binaryPath, declaredTargets } from '../../scripts/cross.mjs'

const tool = (cmd: string, args: readonly string[]): string => execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })

/** Compares dotted versions numerically: -1, 0 or 1. */
function compareVersions(a: string, b: string): number {
  const x = a.split('.').map(Number)
  const y = b.split('.').map(Number)
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0)
    if (d !== 0) return Math.sign(d)
  }
  return 0
}

interface Elf {
  machine: string
  type: string
  needed: string[]
  versions: string[]
  exports: string[]
}

function elf(file: string): Elf {
  const header = tool('readelf', ['-h', '-W', file])
  const dynamic = tool('readelf', ['-d', '-W', file])
  const versions = tool('readelf', ['-V', '-W', file])
  const syms = tool('readelf', ['--dyn-syms', '-W', file])
  return {
    machine: /Machine:\s+(.+)/.exec(header)?.[1]?.trim() ?? '',
    type: /Type:\s+(\S+)/.exec(header)?.[1] ?? '',
    needed: [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1] as string).sort(),
    versions: [...new Set([...versions.matchAll(/Name: (GLIBC_[0-9.]+)/g)].map((m) => m[1] as string))],
    exports: [...syms.matchAll(/\bGLOBAL\s+DEFAULT\s+\d+\s+(\S+)/g)].map((m) => m[1] as string),
  }
}

interface MachO {
  cputype: string
  filetype: string
  minos: string
  dylibs: string[]
  exports: string[]
}

function macho(file: string): MachO {
  const headers = tool('llvm-objdump', ['--macho', '--private-headers', file])
  const exports = tool('llvm-objdump', ['--macho', '--exports-trie', file])
  // LC_BUILD_VERSION (minos) or, for older deployment targets, LC_VERSION_MIN_MACOSX (version).
  const build = /cmd LC_BUILD_VERSION[\s\S]*?minos (\S+)/.exec(headers)?.[1]
  const legacy = /cmd LC_VERSION_MIN_MACOSX[\s\S]*?version (\S+)/.exec(headers)?.[1]
  const header = /^\s*MH_MAGIC_64\s+(\S+)\s+\S+\s+\S+\s+(\S+)/m.exec(headers)
  return {
    cputype: header?.[1] ?? '',
    filetype: header?.[2] ?? '',
    minos: build ?? legacy ?? '',
    dylibs: [...headers.matchAll(/cmd LC_LOAD(?:_WEAK)?_DYLIB\n\s+cmdsize \d+\n\s+name (\S+)/g)].map((m) => m[1] as string).sort(),
    exports: [...exports.matchAll(/^0x[0-9A-Fa-f]+\s+(\S+)/gm)].map((m) => m[1] as string),
  }
}

interface Pe {
  magic: string
  machine: string
  dlls: string[]
  exports: string[]
}

function pe(file: string): Pe {
  const p = tool('x86_64-w64-mingw32-objdump', ['-p', file])
  const f = tool('x86_64-w64-mingw32-objdump', ['-f', file])
  return {
    magic: /^Magic\s+\S+\s+\((\S+)\)/m.exec(p)?.[1] ?? '',
    machine: /architecture: (\S+?),/.exec(f)?.[1] ?? '',
    dlls: [...new Set([...p.matchAll(/DLL Name: (\S+)/g)].map((m) => (m[1] as string).toLowerCase()))].sort(),
    exports: [...p.matchAll(/^\s+\[\s*\d+\] (\S+)$/gm)].map((m) => m[1] as string),
  }
}

const ADDON_ENTRY = 'napi_register_module_v1'

/**
 * What each target's file must be. `needed` is the complete allowed set of
 * shared libraries: a musl binary may need only musl's libc (musl's loader
 * resolves the name `libc.so` to itself); zig links the unwinder and
 * compiler-rt in, so no libgcc_s. The Windows DLL is a MinGW-w64 build
 * (SECURITY.md): only system DLLs that every Windows 10 has, never a MinGW
 * runtime DLL (libgcc_s_seh-1, libwinpthread-1, libstdc++-6).
 */
const EXPECT: Record<string, { check: (file: string) => void }> = {
  'linux-x64-musl': { check: (f) => checkMusl(f, 'Advanced Micro Devices X86-64') },
  'linux-arm64-musl': { check: (f) => checkMusl(f, 'AArch64') },
  'linux-arm64-gnu': {
    check: (f) => {
      const e = elf(f)
      expect(e.machine).toBe('AArch64')
      expect(e.type).toBe('DYN')
      expect(e.exports).toContain(ADDON_ENTRY)
      for (const lib of e.needed) expect(['libc.so.6', 'ld-linux-aarch64.so.1', 'libm.so.6', 'libdl.so.2', 'libpthread.so.0', 'librt.so.1']).toContain(lib)
      expect(e.needed).toContain('libc.so.6')
      // The glibc floor: no symbol version newer than 2.17 (what GitHub CI's
      // napi-cross toolchain gives; Node 20's own arm64 build needs 2.28).
      expect(e.versions.length).toBeGreaterThan(0)
      for (const v of e.versions) expect(compareVersions(v.slice('GLIBC_'.length), '2.17'), v).toBeLessThanOrEqual(0)
    },
  },
  'darwin-x64': { check: (f) => checkDarwin(f, 'X86_64', '10.13') },
  'darwin-arm64': { check: (f) => checkDarwin(f, 'ARM64', '11.0') },
  'win32-x64-msvc': {
    check: (f) => {
      const p = pe(f)
      expect(p.magic).toBe('PE32+')
      expect(p.machine).toBe('i386:x86-64')
      expect(p.exports).toContain(ADDON_ENTRY)
      for (const dll of p.dlls) expect(['kernel32.dll', 'msvcrt.dll', 'ntdll.dll', 'api-ms-win-core-synch-l1-2-0.dll', 'bcryptprimitives.dll', 'userenv.dll', 'ws2_32.dll', 'advapi32.dll']).toContain(dll)
      // N-API comes from node.exe at run time (napi-sys dyn-symbols): no import of a node library.
      expect(p.dlls.filter((d) => d.includes('node'))).toEqual([])
    },
  },
}

function checkMusl(file: string, machine: string): void {
  const e = elf(file)
  expect(e.machine).toBe(machine)
  expect(e.type).toBe('DYN')
  expect(e.exports).toContain(ADDON_ENTRY)
  expect(e.versions, 'glibc symbol versions in a musl binary').toEqual([])
  expect(e.needed).toEqual(['libc.so'])
}

function checkDarwin(file: string, cputype: string, newestMinos: string): void {
  const m = macho(file)
  expect(m.cputype).toBe(cputype)
  expect(m.filetype).toBe('DYLIB')
  expect(m.exports).toContain(`_${ADDON_ENTRY}`)
  expect(m.minos, 'deployment target').not.toBe('')
  expect(compareVersions(m.minos, newestMinos), `minos ${m.minos} must be <= ${newestMinos}`).toBeLessThanOrEqual(0)
  // libSystem, plus libiconv (the Rust standard library links it on Apple
  // targets) and libcharset (which libiconv's stub re-exports): all three are
  // in every macOS's /usr/lib (the dyld shared cache).
  expect(m.dylibs).toContain('/usr/lib/libSystem.B.dylib')
  for (const lib of m.dylibs) expect(['/usr/lib/libSystem.B.dylib', '/usr/lib/libiconv.2.dylib', '/usr/lib/libcharset.1.dylib']).toContain(lib)
}

describe('cross-built binaries: format, machine, linkage', () => {
  const checked = declaredTargets().filter((t) => TARGETS[t]?.runner !== 'host')

  it('every declared target other than the host has a check here', () => {
    expect(checked.length).toBeGreaterThan(0)
    for (const t of checked) expect(Object.keys(EXPECT), t).toContain(TARGETS[t]?.platform)
  })

  for (const triple of checked) {
    const platform = TARGETS[triple]?.platform ?? triple
    it(`${platform} (${triple}): ${path.relative(ROOT, binaryPath(triple))}`, () => {
      const file = binaryPath(triple)
      expect(existsSync(file), `${file}: run node scripts/cross.mjs --target ${triple}`).toBe(true)
      EXPECT[platform]?.check(file)
    })
  }
})
