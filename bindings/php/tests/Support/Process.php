<?php

namespace Liveapid\CpanelLiveapi\Tests\Support;

use RuntimeException;

/**
 * A child process started without a shell, with stdout and stderr in files
 * (pipes could fill up and block a long-running server).
 */
final class Process
{
    /** @var resource */
    private $handle;

    /** @var string */
    private $stdoutPath;

    /** @var string */
    private $stderrPath;

    /** @var int|null Exit code, once known (proc_get_status reports it only once). */
    private $exitCode;

    /** @var string */
    private $description;

    /**
     * @param resource $handle
     */
    private function __construct($handle, string $stdoutPath, string $stderrPath, string $description)
    {
        $this->handle = $handle;
        $this->stdoutPath = $stdoutPath;
        $this->stderrPath = $stderrPath;
        $this->description = $description;
    }

    /**
     * Start a command in the background.
     *
     * @param string[]              $command Program and arguments (no shell)
     * @param array<string, string> $env     Variables added to (or, with value null, removed from) the environment
     */
    public static function start(array $command, array $env = [], ?string $outputDir = null): self
    {
        $outputDir = $outputDir ?? sys_get_temp_dir();
        $stdout = tempnam($outputDir, 'out');
        $stderr = tempnam($outputDir, 'err');
        $handle = proc_open(
            $command,
            [0 => ['file', '/dev/null', 'r'], 1 => ['file', $stdout, 'w'], 2 => ['file', $stderr, 'w']],
            $pipes,
            null,
            self::environment($env)
        );
        if (!is_resource($handle)) {
            throw new RuntimeException('Cannot start ' . implode(' ', $command));
        }
        return new self($handle, $stdout, $stderr, basename($command[0]) . ' ' . implode(' ', array_slice($command, 1, 1)));
    }

    /**
     * Run a command to completion.
     *
     * @param string[]              $command Program and arguments (no shell)
     * @param array<string, string> $env     Extra environment
     * @param string                $stdin   Bytes fed to its standard input
     *
     * @return array{0: int, 1: string, 2: string} Exit code, stdout, stderr
     */
    public static function run(array $command, array $env = [], string $stdin = '', float $timeout = 30.0): array
    {
        $handle = proc_open(
            $command,
            [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']],
            $pipes,
            null,
            self::environment($env)
        );
        if (!is_resource($handle)) {
            throw new RuntimeException('Cannot run ' . implode(' ', $command));
        }
        fwrite($pipes[0], $stdin);
        fclose($pipes[0]);
        stream_set_blocking($pipes[1], false);
        stream_set_blocking($pipes[2], false);
        $out = '';
        $err = '';
        $deadline = microtime(true) + $timeout;
        while (!feof($pipes[1]) || !feof($pipes[2])) {
            if (microtime(true) > $deadline) {
                proc_terminate($handle, 9);
                throw new RuntimeException('Timed out: ' . implode(' ', $command));
            }
            $read = array_values(array_filter([$pipes[1], $pipes[2]], function ($p) {
                return !feof($p);
            }));
            $write = $except = [];
            if (stream_select($read, $write, $except, 0, 100000) > 0) {
                foreach ($read as $pipe) {
                    $chunk = (string) fread($pipe, 65536);
                    if ($pipe === $pipes[1]) {
                        $out .= $chunk;
                    } else {
                        $err .= $chunk;
                    }
                }
            }
        }
        fclose($pipes[1]);
        fclose($pipes[2]);
        return [proc_close($handle), $out, $err];
    }

    /** The operating-system process id. */
    public function pid(): int
    {
        return (int) proc_get_status($this->handle)['pid'];
    }

    /** Whether it still runs; records the exit code (128 + signal if killed) once it has ended. */
    public function isRunning(): bool
    {
        if ($this->exitCode !== null) {
            return false;
        }
        $status = proc_get_status($this->handle);
        if ($status['running']) {
            return true;
        }
        $this->exitCode = $status['signaled'] ? 128 + $status['termsig'] : $status['exitcode'];
        return false;
    }

    /**
     * Wait until the process has written $needle to stdout.
     *
     * @throws RuntimeException if it exits or the time runs out first
     */
    public function waitForOutput(string $needle, float $timeout = 10.0): void
    {
        $deadline = microtime(true) + $timeout;
        while (strpos($this->stdout(), $needle) === false) {
            if (!$this->isRunning()) {
                throw new RuntimeException(sprintf(
                    '%s exited (%d) before printing "%s"; stderr: %s',
                    $this->description,
                    $this->exitCode,
                    $needle,
                    $this->stderr()
                ));
            }
            if (microtime(true) > $deadline) {
                throw new RuntimeException(sprintf('%s did not print "%s" within %.1f s', $this->description, $needle, $timeout));
            }
            usleep(10000);
        }
    }

    /**
     * Send a signal.
     */
    public function signal(int $signal): void
    {
        if ($this->isRunning()) {
            proc_terminate($this->handle, $signal);
        }
    }

    /**
     * Wait for the process to exit.
     *
     * @return int|null Exit code (128 + signal when killed), null if still running at the deadline
     */
    public function wait(float $timeout): ?int
    {
        $deadline = microtime(true) + $timeout;
        while ($this->isRunning()) {
            if (microtime(true) > $deadline) {
                return null;
            }
            usleep(10000);
        }
        return $this->exitCode;
    }

    /**
     * Stop the process: the signal, then SIGKILL if it is still there after $grace seconds.
     *
     * @return bool True if it exited within the grace period
     */
    public function stop(int $signal = 15, float $grace = 5.0): bool
    {
        $this->signal($signal);
        if ($this->wait($grace) !== null) {
            return true;
        }
        $this->signal(9);
        $this->wait(5.0);
        return false;
    }

    /** Exit code (128 + signal if killed), null while it runs. */
    public function exitCode(): ?int
    {
        $this->isRunning();
        return $this->exitCode;
    }

    /** Everything it has written to stdout so far. */
    public function stdout(): string
    {
        return (string) @file_get_contents($this->stdoutPath);
    }

    /** Everything it has written to stderr so far. */
    public function stderr(): string
    {
        return (string) @file_get_contents($this->stderrPath);
    }

    /** Never leave a child behind: kill it if it still runs, drop its output files. */
    public function __destruct()
    {
        if ($this->isRunning()) {
            $this->stop(9, 5.0);
        }
        proc_close($this->handle);
        @unlink($this->stdoutPath);
        @unlink($this->stderrPath);
    }

    /**
     * @param array<string, string|null> $changes
     *
     * @return array<string, string>
     */
    private static function environment(array $changes): array
    {
        $env = getenv();
        foreach ($changes as $name => $value) {
            if ($value === null) {
                unset($env[$name]);
            } else {
                $env[$name] = $value;
            }
        }
        return $env;
    }
}
