<?php
/*
 * Test bootstrap: the class under test exactly as scripts load it, plus the
 * test helpers. Works with Debian's phpunit and with composer's.
 */
require_once dirname(__DIR__) . '/cpanel.php';

foreach (['Paths', 'TempDir', 'Process', 'GoldenVectors', 'ScriptedServer', 'ReferenceServer', 'LiveApiTestCase'] as $helper) {
    require_once __DIR__ . '/Support/' . $helper . '.php';
}
