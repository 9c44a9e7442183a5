<?php

namespace Liveapid\CpanelLiveapi\Tests\Support;

/**
 * Where the files the tests need live, relative to the repository root.
 */
final class Paths
{
    /** bindings/php */
    public static function binding(): string
    {
        return dirname(__DIR__, 2);
    }

    /** The liveapid repository root. */
    public static function repoRoot(): string
    {
        return dirname(__DIR__, 4);
    }

    /** The shared directory: $LIVEAPID_SHARED, or "shared" next to the repository. */
    public static function shared(): string
    {
        $fromEnv = getenv('LIVEAPID_SHARED');
        if (is_string($fromEnv) && $fromEnv !== '') {
            return rtrim($fromEnv, '/');
        }
        return dirname(self::repoRoot()) . '/shared';
    }

    public static function referenceServer(): string
    {
        return self::shared() . '/tools/cpanel-like-server.py';
    }

    public static function goldenVectors(): string
    {
        return self::repoRoot() . '/tests/golden/vectors.json';
    }

    public static function makeAccount(): string
    {
        return self::repoRoot() . '/tests/fixtures/make-account';
    }

    public static function fixture(string $name): string
    {
        return dirname(__DIR__) . '/fixtures/' . $name;
    }

    /** The python interpreter: $PYTHON or python3 from PATH. */
    public static function python(): string
    {
        $python = getenv('PYTHON');
        return is_string($python) && $python !== '' ? $python : 'python3';
    }
}
