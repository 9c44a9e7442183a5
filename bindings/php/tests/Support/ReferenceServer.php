<?php

namespace Liveapid\CpanelLiveapi\Tests\Support;

/**
 * Runs tests/support/reference-server, the repository's reference LiveAPI
 * server (it answers in cPanel's reply shapes), with its deviation switches.
 */
final class ReferenceServer
{
    /** @var Process */
    private $process;

    /** @var string */
    private $socketPath;

    /** @var string */
    private $logPath;

    private function __construct(Process $process, string $socketPath, string $logPath)
    {
        $this->process = $process;
        $this->socketPath = $socketPath;
        $this->logPath = $logPath;
    }

    /**
     * Why the reference server cannot run here, or null when it can.
     *
     * @return string|null The reason
     */
    public static function unavailableReason(): ?string
    {
        if (!is_file(Paths::referenceServer())) {
            return 'The reference server ' . Paths::referenceServer() . ' is missing.';
        }
        static $pythonWorks = null;
        if ($pythonWorks === null) {
            [$exit] = Process::run([Paths::python(), '-c', 'import sys; sys.exit(sys.version_info < (3, 5))']);
            $pythonWorks = ($exit === 0);
        }
        if (!$pythonWorks) {
            return 'The reference server needs Python 3 (' . Paths::python() . '; set PYTHON to another interpreter).';
        }
        return null;
    }

    /**
     * @param string[] $switches e.g. ['--pretty'], ['--keepalive', '1']
     */
    public static function start(TempDir $dir, array $switches = []): self
    {
        $name = 'ref-' . bin2hex(random_bytes(3));
        $socketPath = $dir->path($name . '.sock');
        $logPath = $dir->path($name . '.log');
        $process = Process::start(
            array_merge([Paths::python(), Paths::referenceServer(), $socketPath, '--log', $logPath], $switches),
            [],
            $dir->path()
        );
        $process->waitForOutput('listening on');
        return new self($process, $socketPath, $logPath);
    }

    public function socketPath(): string
    {
        return $this->socketPath;
    }

    public function pid(): int
    {
        return $this->process->pid();
    }

    /**
     * The server's log: one line per event, "recv b'...'" (a request, length
     * line included), "send b'...'" (reply bytes) or "closed" (a connection ended).
     */
    public function log(): string
    {
        return (string) @file_get_contents($this->logPath);
    }

    /** Kill the server at once (SIGKILL): its connections die with it. */
    public function kill(): void
    {
        $this->process->stop(9, 5.0);
    }

    /** Stop it with SIGTERM (SIGKILL after 5 s). */
    public function stop(): void
    {
        $this->process->stop(15, 5.0);
    }
}
