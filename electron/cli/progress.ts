/**
 * A progress line on stderr: redrawn in place at a terminal (at most ten times a second),
 * one line per tenth otherwise, so logs of scripted runs stay short.
 */
export function progressReporter(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
): (done: number, total: number) => void {
  const started = performance.now();
  let lastDraw = 0;
  let lastTenth = -1;
  const number = new Intl.NumberFormat('en-GB');
  return (done, total) => {
    const fraction = total > 0 ? done / total : 1;
    const percent = Math.floor(fraction * 100);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const text = `${label}: ${number.format(done)} of ${number.format(total)} (${percent}%, ${seconds} s)`;
    if (stream.isTTY) {
      const now = performance.now();
      if (done < total && now - lastDraw < 100) return;
      lastDraw = now;
      stream.write(`\r${text}\u001b[K${done >= total ? '\n' : ''}`);
    } else {
      const tenth = Math.floor(fraction * 10);
      if (tenth === lastTenth && done < total) return;
      lastTenth = tenth;
      stream.write(`${text}\n`);
    }
  };
}

export const formatCount = (n: number): string => new Intl.NumberFormat('en-GB').format(n);

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
