<?php

namespace Liveapid\CpanelLiveapi\Tests\Support;

use RuntimeException;

/**
 * Runs tests/fixtures/scripted-server.php: one connection, scripted replies,
 * every request recorded byte for byte.
 */
final class ScriptedServer
{
    /** @var Process */
    private $process;

    /** @var string */
    private $socketPath;

    /** @var string */
    private $recordPath;

    private function __construct(Process $process, string $socketPath, string $recordPath)
    {
        $this->process = $process;
        $this->socketPath = $socketPath;
        $this->recordPath = $recordPath;
    }

    /**
     * Start a server that answers request i with reply i.
     *
     * @param array<int, string|array{chunks?: string[], delay?: float, close?: bool}> $replies
     *        A string is a frame written in one piece; an array writes its
     *        chunks one write each, `delay` seconds apart, then closes if `close`.
     * @param array{linger_on_shutdown?: float, hang_up_at?: int} $options
     *        linger_on_shutdown: seconds to keep the connection open after a shutdown request;
     *        hang_up_at: close, unanswered, once request N's length line has arrived (N from 0)
     */
    public static function start(TempDir $dir, array $replies, array $options = []): self
    {
        $script = $options + ['replies' => []];
        foreach ($replies as $reply) {
            if (is_string($reply)) {
                $reply = ['chunks' => [$reply]];
            }
            $reply['chunks'] = array_map('base64_encode', $reply['chunks'] ?? []);
            $script['replies'][] = $reply;
        }
        $name = 'scripted-' . bin2hex(random_bytes(3));
        $scriptPath = $dir->path($name . '.json');
        file_put_contents($scriptPath, json_encode($script));
        $socketPath = $dir->path($name . '.sock');
        $recordPath = $dir->path($name . '.record.json');
        $process = Process::start(
            [PHP_BINARY, Paths::fixture('scripted-server.php'), $socketPath, $scriptPath, $recordPath],
            [],
            $dir->path()
        );
        $process->waitForOutput("listening\n");
        return new self($process, $socketPath, $recordPath);
    }

    public function socketPath(): string
    {
        return $this->socketPath;
    }

    /**
     * The requests received so far, each exactly as sent (length line + payload).
     *
     * Waits for the server to finish its connection first (it exits after one).
     *
     * @return string[]
     */
    public function requests(float $timeout = 5.0): array
    {
        if ($this->process->wait($timeout) === null) {
            throw new RuntimeException('The scripted server is still serving its connection');
        }
        if (!is_file($this->recordPath)) {
            return [];
        }
        return array_map('base64_decode', json_decode((string) file_get_contents($this->recordPath), true));
    }

    /** Kill it if it is still waiting (it normally exits when its connection ends). */
    public function stop(): void
    {
        $this->process->stop(9, 5.0);
    }
}
