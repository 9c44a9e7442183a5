<?php

namespace Liveapid\CpanelLiveapi\Tests\Support;

/**
 * Runs shared/tools/cpanel-like-server.py, the reference LiveAPI server whose
 * replies cPanel's own clients decoded, with its deviation switches.
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

    /** Whether shared/tools/cpanel-like-server.py is there (see Paths::shared()). */
    public static function isAvailable(): bool
    {
        return is_file(Paths::referenceServer());
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

    /** The server's log: one line per message, "C->S b'...'" / "S->C b'...'" / "--- b'closed'". */
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
