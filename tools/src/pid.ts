/** True while a process with this pid exists (EPERM: it exists, owned by someone else). Node built-ins only. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
