/** Reports one server's progress, a line at a time. */
export type Progress = (message: string) => void;

export const silent: Progress = () => {};

const started = Date.now();

/** Lines such as `  12.3s  kafka          healthy after 8.1 s`, for the terminal and CI logs. */
export function consoleProgress(server: string): Progress {
  return (message) => {
    const at = `${((Date.now() - started) / 1000).toFixed(1)}s`.padStart(7);
    console.log(`${at}  ${server.padEnd(14)} ${message}`);
  };
}
