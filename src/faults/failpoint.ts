/**
 * Failpoints: named places where a test can make the process die at once, to check that what
 * is on disk after a crash at exactly that point is consistent (the technique of etcd's gofail
 * and FoundationDB's simulation).
 *
 * `failpoint('publish:after-commit')` kills the process with SIGKILL, immediately and without
 * running any handler, exception or `finally` block, when the environment variable
 * `ANIMEREC_FAILPOINT` equals the name. Otherwise it does nothing: one environment read, cheap
 * enough for hot paths that run once per phase.
 *
 * Names are `<phase>:<point>` and are listed in a doc comment where they are called (for
 * publishing: src/versions/publish.ts).
 */
export function failpoint(name: string): void {
  if (process.env.ANIMEREC_FAILPOINT === name) {
    process.kill(process.pid, 'SIGKILL');
  }
}
