<?php

namespace Liveapid\CpanelLiveapi\Tests\Support;

use RuntimeException;

/**
 * A private scratch directory, removed with everything in it.
 *
 * Kept short (sys_get_temp_dir()/lapi-XXXXXXXX) because Unix socket paths
 * must fit in 107 bytes.
 */
final class TempDir
{
    /** @var string */
    private $path;

    /** @throws RuntimeException if no directory can be created */
    public function __construct()
    {
        $base = rtrim(sys_get_temp_dir(), '/');
        for ($i = 0; $i < 10; $i++) {
            $path = $base . '/lapi-' . bin2hex(random_bytes(4));
            if (@mkdir($path, 0700)) {
                $this->path = $path;
                return;
            }
        }
        throw new RuntimeException('Cannot create a scratch directory in ' . $base);
    }

    /** The directory, or $name inside it. */
    public function path(string $name = ''): string
    {
        return $name === '' ? $this->path : $this->path . '/' . $name;
    }

    /** Delete the directory and everything in it (also read-only parts). */
    public function remove(): void
    {
        if ($this->path !== null && is_dir($this->path)) {
            self::removeTree($this->path);
        }
    }

    private static function removeTree(string $path): void
    {
        if (is_link($path) || !is_dir($path)) {
            @unlink($path);
            return;
        }
        @chmod($path, 0700);
        foreach (scandir($path) ?: [] as $entry) {
            if ($entry !== '.' && $entry !== '..') {
                self::removeTree($path . '/' . $entry);
            }
        }
        @rmdir($path);
    }
}
