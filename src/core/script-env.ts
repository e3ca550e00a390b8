/**
 * Environment variables that decide which code a program loads, rather than
 * what it does with its input. A job names one allow-listed command; if it
 * could set these, it could make that command run code of its choice
 * (LD_PRELOAD a library, NODE_OPTIONS=--require, PYTHONPATH a module,
 * BASH_ENV a file sourced by every bash script). So a job may not set them:
 * the API refuses them at create and update (`validate-job.ts`), and a worker
 * refuses a run whose job carries one (a job stored before the rule) unless
 * its operator admits the name (`script-env-allow`).
 *
 * The list is closed and fixed here, so that the API, which does not know any
 * worker's settings, applies the same rule as every worker.
 */

/** Names refused whatever their case of use; grouped by what they steer. */
export const CODE_LOADING_ENV: readonly string[] = [
  // Where programs and per-user files (Python user site, ~/.npmrc, ~/.bashrc) are found.
  "PATH",
  "HOME",
  // glibc's iconv modules: shared objects loaded from this path.
  "GCONV_PATH",
  // Shells: startup files, options, and the xtrace prompt (expanded, so it runs commands).
  "BASH_ENV",
  "ENV",
  "SHELLOPTS",
  "BASHOPTS",
  "PS4",
  // Node.js
  "NODE_OPTIONS",
  "NODE_PATH",
  // Python (PYTHONWARNINGS and PYTHONBREAKPOINT import the modules they name).
  "PYTHONPATH",
  "PYTHONHOME",
  "PYTHONSTARTUP",
  "PYTHONUSERBASE",
  "PYTHONPLATLIBDIR",
  "PYTHONWARNINGS",
  "PYTHONBREAKPOINT",
  // Perl, Ruby
  "PERL5LIB",
  "PERLLIB",
  "PERL5OPT",
  "PERL5DB",
  "RUBYOPT",
  "RUBYLIB",
  // Java
  "JAVA_TOOL_OPTIONS",
  "_JAVA_OPTIONS",
  "JDK_JAVA_OPTIONS",
  "CLASSPATH",
  // PHP
  "PHPRC",
  "PHP_INI_SCAN_DIR",
];

/**
 * Families: the dynamic loader's `LD_*` (Linux) and `DYLD_*` (macOS), bash's
 * exported functions `BASH_FUNC_*` (they replace commands a bash script
 * calls), and Lua's `LUA_INIT`/`LUA_PATH`/`LUA_CPATH` with their versioned
 * forms (`LUA_PATH_5_4`).
 */
const CODE_LOADING_FAMILIES = /^(LD_|DYLD_|BASH_FUNC_)|^LUA_(INIT|PATH|CPATH)(_\d+_\d+)?$/;

const NAMES = new Set(CODE_LOADING_ENV);

/** Whether setting `name` could change which code an allow-listed command loads. */
export function loadsCode(name: string): boolean {
  return NAMES.has(name) || CODE_LOADING_FAMILIES.test(name);
}
