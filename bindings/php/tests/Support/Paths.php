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

    /** The repository's reference LiveAPI server (tests/support/reference-server). */
    public static function referenceServer(): string
    {
        return self::repoRoot() . '/tests/support/reference-server';
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
