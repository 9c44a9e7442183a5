<?php

namespace Liveapid\CpanelLiveapi\Tests\Support;

use RuntimeException;

/**
 * The shared golden transcripts (tests/golden/vectors.json, byte-exact exchanges with cPanel's clients).
 */
final class GoldenVectors
{
    /** @var array<string, array{id: string, direction: string, note: string, bytes: string, length: int}>|null */
    private static $byId;

    /**
     * @return array<string, array{id: string, direction: string, note: string, bytes: string, length: int}>
     */
    public static function all(): array
    {
        if (self::$byId === null) {
            $path = Paths::goldenVectors();
            $list = json_decode((string) file_get_contents($path), true);
            if (!is_array($list)) {
                throw new RuntimeException('Cannot read the golden vectors at ' . $path);
            }
            self::$byId = [];
            foreach ($list as $vector) {
                self::$byId[$vector['id']] = $vector;
            }
        }
        return self::$byId;
    }

    /** The exact bytes of one message. */
    public static function bytes(string $id): string
    {
        $all = self::all();
        if (!isset($all[$id])) {
            throw new RuntimeException('No golden vector ' . $id);
        }
        return $all[$id]['bytes'];
    }
}
