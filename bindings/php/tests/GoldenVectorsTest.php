<?php

namespace Liveapid\CpanelLiveapi\Tests;

use CPANEL;
use Liveapid\CpanelLiveapi\Tests\Support\GoldenVectors;
use Liveapid\CpanelLiveapi\Tests\Support\LiveApiTestCase;

/**
 * The shim against the shared golden transcripts (tests/golden/vectors.json):
 * it must send the official PHP class's bytes exactly, and decode every
 * server frame to the structure the official class returns.
 *
 * @group golden
 */
final class GoldenVectorsTest extends LiveApiTestCase
{
    /**
     * The PHP client vectors, each with the call that produces it, the frame
     * answering it and what the call must return.
     *
     * @return array<string, array{0: string, 1: string, 2: callable, 3: mixed}>
     */
    public function phpClientVectors(): array
    {
        return [
            '2-client-1 uapi Email::passwd_pop' => [
                '2-client-1',
                '2-server-1',
                function (CPANEL $cpanel) {
                    return $cpanel->uapi('Email', 'passwd_pop', array(
                        'email' => 'user', 'password' => 'n3w/Pass&word', 'domain' => 'example.com',
                    ));
                },
                ['cpanelresult' => [
                    'apiversion' => 3, 'func' => 'passwd_pop', 'module' => 'Email',
                    'result' => [
                        'data' => null, 'errors' => null, 'messages' => null,
                        'metadata' => [], 'status' => 1, 'warnings' => null,
                    ],
                ]],
            ],
            '5-client-1 api2 Email::listpopswithdisk' => [
                '5-client-1',
                '5-server-1',
                function (CPANEL $cpanel) {
                    return $cpanel->api2('Email', 'listpopswithdisk', array('domain' => 'example.com'));
                },
                ['cpanelresult' => [
                    'apiversion' => 2, 'func' => 'listpopswithdisk', 'module' => 'Email',
                    'data' => [['domain' => 'example.com']], 'event' => ['result' => 1],
                ]],
            ],
            '6-client-1 fetch print tag' => [
                '6-client-1',
                '6-server-1',
                function (CPANEL $cpanel) {
                    return $cpanel->fetch('$homedir');
                },
                ['cpanelresult' => [
                    'apiversion' => '1', 'type' => 'internal', 'command' => 'print', 'source' => 'internal',
                    'data' => ['result' => '/home/dave'], 'event' => ['result' => 1],
                ]],
            ],
            '7-client-1 api1 print with a list' => [
                '7-client-1',
                '7-server-1',
                function (CPANEL $cpanel) {
                    return $cpanel->api1('print', '', array('cow'));
                },
                ['cpanelresult' => [
                    'apiversion' => '1', 'type' => 'internal', 'command' => 'print', 'source' => 'internal',
                    'data' => ['result' => 'cow'], 'event' => ['result' => 1],
                ]],
            ],
            '8-client-1 cpanelif' => [
                '8-client-1',
                '8-server-1',
                function (CPANEL $cpanel) {
                    return $cpanel->cpanelif('!$haspostgres');
                },
                1,
            ],
            '8-client-2 cpanelfeature' => [
                '8-client-2',
                '8-server-2',
                function (CPANEL $cpanel) {
                    return $cpanel->cpanelfeature('fileman');
                },
                1,
            ],
            '9-client-1 api3 without arguments' => [
                '9-client-1',
                '9-server-1',
                function (CPANEL $cpanel) {
                    return $cpanel->api3('Email', 'list_pops');
                },
                ['cpanelresult' => [
                    'apiversion' => 3, 'func' => 'list_pops', 'module' => 'Email',
                    'result' => [
                        'data' => ['module' => 'Email', 'func' => 'list_pops', 'args' => []],
                        'errors' => null, 'messages' => null, 'metadata' => [], 'status' => 1, 'warnings' => null,
                    ],
                ]],
            ],
        ];
    }

    /**
     * Every session sends 1-client-1 first and 4-client-1 last; the call in
     * between sends its vector byte for byte and returns the expected value.
     *
     * @dataProvider phpClientVectors
     *
     * @param mixed $expected
     */
    public function testSendsTheOfficialPhpBytes(string $clientId, string $serverId, callable $call, $expected): void
    {
        $server = $this->startScriptedServer([GoldenVectors::bytes('1-server-1'), GoldenVectors::bytes($serverId)]);

        $cpanel = new CPANEL();
        $result = $call($cpanel);
        $cpanel->end();

        $this->assertSame($expected, $result);
        $this->assertSame(
            [GoldenVectors::bytes('1-client-1'), GoldenVectors::bytes($clientId), GoldenVectors::bytes('4-client-1')],
            $server->requests()
        );
    }

    /**
     * Encodings with no golden vector, pinned to what the official class sends.
     *
     * @return array<string, array{0: callable, 1: string}>
     */
    public function encodingCases(): array
    {
        return [
            'api1 with a bare string sends a JSON string' => [
                function (CPANEL $cpanel) {
                    $cpanel->api1('print', '', '$homedir');
                },
                '{"module":"print","reqtype":"exec","func":"","apiversion":"1","args":"$homedir"}',
            ],
            'cpanelprint sends a bare string' => [
                function (CPANEL $cpanel) {
                    $cpanel->cpanelprint('$user');
                },
                '{"module":"print","reqtype":"exec","func":"","apiversion":"1","args":"$user"}',
            ],
            'cpanellangprint' => [
                function (CPANEL $cpanel) {
                    $cpanel->cpanellangprint('Email');
                },
                '{"module":"langprint","reqtype":"exec","func":"","apiversion":"1","args":"Email"}',
            ],
            'args "0" is empty() and left out' => [
                function (CPANEL $cpanel) {
                    $cpanel->api1('print', '', '0');
                },
                '{"module":"print","reqtype":"exec","func":"","apiversion":"1"}',
            ],
            'api2 without arguments' => [
                function (CPANEL $cpanel) {
                    $cpanel->api2('Email', 'listpops');
                },
                '{"module":"Email","reqtype":"exec","func":"listpops","apiversion":"2"}',
            ],
            'numbers stay numbers, non-ASCII becomes \\u escapes, / becomes \\/' => [
                function (CPANEL $cpanel) {
                    $cpanel->uapi('Test', 'echo', array('n' => 5, 'on' => true, 's' => "caf\u{e9}/\u{1F600}"));
                },
                '{"module":"Test","reqtype":"exec","func":"echo","apiversion":"uapi",'
                . '"args":{"n":5,"on":true,"s":"caf\\u00e9\\/\\ud83d\\ude00"}}',
            ],
            'a list for UAPI stays a JSON array' => [
                function (CPANEL $cpanel) {
                    $cpanel->uapi('Test', 'echo', array('a', 'b'));
                },
                '{"module":"Test","reqtype":"exec","func":"echo","apiversion":"uapi","args":["a","b"]}',
            ],
        ];
    }

    /**
     * @dataProvider encodingCases
     */
    public function testEncodesLikeTheOfficialClass(callable $call, string $json): void
    {
        $reply = GoldenVectors::bytes('7-server-1');
        $server = $this->startScriptedServer([GoldenVectors::bytes('1-server-1'), $reply]);

        $cpanel = new CPANEL();
        $call($cpanel);
        $cpanel->end();

        $payload = "<cpanelaction>\n" . $json . "\n</cpanelaction>";
        $this->assertSame(strlen($payload) . "\n" . $payload, $server->requests()[1]);
    }

    /**
     * What each golden server frame must decode to: spot checks written by
     * hand from the vectors' notes ("a.b.0" is a path into the returned array).
     * Every server frame of the golden file must have an entry here.
     *
     * @return array<string, array<string, mixed>>
     */
    private static function spotChecks(): array
    {
        return [
            '1-server-1' => ['cpanelresult.data.result' => 'json'],
            '2-server-1' => ['cpanelresult.result.status' => 1, 'cpanelresult.func' => 'passwd_pop', 'cpanelresult.result.data' => null],
            '3-server-1' => ['cpanelresult.result.status' => 1, 'cpanelresult.apiversion' => 3],
            '3b-server-1' => ['cpanelresult.result.status' => 1, 'cpanelresult.module' => 'Email'],
            '4-server-1' => ['cpanelresult.data.result' => 'shutdown'],
            '5-server-1' => ['cpanelresult.data.0.domain' => 'example.com', 'cpanelresult.event.result' => 1, 'cpanelresult.cpanelresult' => '(absent)'],
            '5-server-2' => ['cpanelresult.data.0.humandiskquota' => "250\u{a0}MB", 'cpanelresult.data.0.diskused' => 0, 'cpanelresult.cpanelresult' => '(absent)'],
            '6-server-1' => ['cpanelresult.data.result' => '/home/dave', 'cpanelresult.command' => 'print'],
            '7-server-1' => ['cpanelresult.data.result' => 'cow', 'cpanelresult.apiversion' => '1'],
            '7-server-2' => ['cpanelresult.data.result' => '/home/dave'],
            '8-server-1' => ['cpanelresult.data.result' => 1, 'cpanelresult.module' => 'if', 'cpanelresult.cpanelresult' => '(absent)'],
            '8-server-2' => ['cpanelresult.data.result' => 1, 'cpanelresult.module' => 'feature'],
            '9-server-1' => ['cpanelresult.result.data.func' => 'list_pops', 'cpanelresult.result.data.args' => []],
            '10-server-1' => ['cpanelresult.error' => 'Could not parse cpanelaction JSON.', 'cpanelresult.data.result' => '0'],
            '10-server-2' => ['cpanelresult.error' => 'No Valid Command Given.', 'cpanelresult.data.reason' => 'No Valid Command Given.'],
            '10-server-3' => ['cpanelresult.result.status' => 0, 'cpanelresult.result.errors.0' => 'The account user@example.com does not exist.'],
            '10-server-4' => ['cpanelresult.event.result' => 0, 'cpanelresult.event.reason' => 'Permission denied.', 'cpanelresult.error' => 'Permission denied.'],
            '10-server-5' => ['cpanelresult.result.data.args.s' => 'a </cpanelresult> b & <x>', 'cpanelresult.result.data.args.p' => 'c/d'],
        ];
    }

    /**
     * @return array<string, array{0: string}>
     */
    public function goldenServerFrames(): array
    {
        $cases = [];
        foreach (GoldenVectors::all() as $id => $vector) {
            if ($vector['direction'] === 'server' && strncmp($id, '11-', 3) !== 0) {
                $cases[$id] = [$id];
            }
        }
        return $cases;
    }

    /**
     * Each frame decodes to the official structure (wrapped into a top-level
     * cpanelresult unless the JSON starts with {"cpanelresult"), and the
     * session stays in step: the next call gets its own reply.
     *
     * @dataProvider goldenServerFrames
     */
    public function testDecodesEveryGoldenServerFrame(string $id): void
    {
        $frame = GoldenVectors::bytes($id);
        $this->assertArrayHasKey($id, self::spotChecks(), "no spot checks for the golden frame $id yet");
        $this->startScriptedServer([GoldenVectors::bytes('1-server-1'), $frame, GoldenVectors::bytes('7-server-1')]);

        $cpanel = new CPANEL();
        $result = $cpanel->exec('<cpanel print="probe">');

        $this->assertSame(self::officialDecoding($frame), $result);
        foreach (self::spotChecks()[$id] as $path => $expected) {
            $this->assertSame($expected, self::dig($result, $path), "$id: $path");
        }
        $this->assertSame('cow', $cpanel->cpanelprint('cow'), 'the call after it gets its own reply');
        $cpanel->end();
    }

    /**
     * get_result() after API2 and API1 replies, as the official class.
     */
    public function testGetResultAfterApi2AndApi1Replies(): void
    {
        $this->startScriptedServer([
            GoldenVectors::bytes('1-server-1'),
            GoldenVectors::bytes('5-server-2'),
            GoldenVectors::bytes('7-server-1'),
        ]);
        $cpanel = new CPANEL();

        $cpanel->api2('Email', 'listpopswithdisk', array('domain' => 'example.com'));
        $rows = $cpanel->get_result();
        $this->assertCount(1, $rows);
        $this->assertSame('user@example.com', $rows[0]['email']);

        $cpanel->api1('print', '', array('cow'));
        $this->assertSame('cow', $cpanel->get_result());
        $cpanel->end();
    }

    /**
     * Frames cut into 3-byte writes (the closing tag split across reads) decode the same.
     */
    public function testDecodesFramesDeliveredInSmallPieces(): void
    {
        $frames = ['5-server-2', '10-server-5', '2-server-1'];
        $replies = [['chunks' => str_split(GoldenVectors::bytes('1-server-1'), 3), 'delay' => 0.0005]];
        foreach ($frames as $id) {
            $replies[] = ['chunks' => str_split(GoldenVectors::bytes($id), 3), 'delay' => 0.0005];
        }
        $this->startScriptedServer($replies);

        $cpanel = new CPANEL();
        foreach ($frames as $id) {
            $this->assertSame(self::officialDecoding(GoldenVectors::bytes($id)), $cpanel->exec('<cpanel print="x">'), $id);
        }
        $cpanel->end();
    }

    /**
     * Section 11: declaration line at once, keep-alive newlines, then the rest.
     * The pauses (0.4 s each, 1.2 s in all) exceed the 0.8 s idle timeout in
     * total but not one by one, so the call must succeed with its own reply.
     */
    public function testKeepAliveSequenceOfSection11(): void
    {
        $this->startScriptedServer([
            GoldenVectors::bytes('1-server-1'),
            [
                'chunks' => [
                    GoldenVectors::bytes('11-server-1'),
                    GoldenVectors::bytes('11-server-2'),
                    GoldenVectors::bytes('11-server-2'),
                    GoldenVectors::bytes('11-server-3'),
                ],
                'delay' => 0.4,
            ],
            GoldenVectors::bytes('7-server-1'),
        ]);
        $cpanel = new CPANEL();
        $cpanel->set_timeout(0.8);

        $result = $cpanel->uapi('Slow', 'sleep', array('seconds' => 4));

        $this->assertSame(1, $result['cpanelresult']['result']['status']);
        $this->assertSame(['seconds' => 4], $result['cpanelresult']['result']['data']['args']);
        $this->assertSame('cow', $cpanel->cpanelprint('cow'));
        $cpanel->end();
    }

    /**
     * The golden file itself: every length matches its bytes.
     */
    public function testGoldenLengthsMatchTheirBytes(): void
    {
        $all = GoldenVectors::all();
        $this->assertGreaterThanOrEqual(30, count($all));
        foreach ($all as $id => $vector) {
            $this->assertSame($vector['length'], strlen($vector['bytes']), $id);
        }
    }

    /**
     * The structure the official class returns for a compact frame, derived
     * with its own rule (string search for <cpanelresult>{"cpanelresult").
     *
     * @return mixed
     */
    private static function officialDecoding(string $frame)
    {
        if (!preg_match('/\A<\?xml version="1\.0" \?>\n<cpanelresult>(\{.*)<\/cpanelresult>\n\z/s', $frame, $m)) {
            self::fail('not a compact golden frame: ' . $frame);
        }
        $decoded = json_decode($m[1], true);
        self::assertIsArray($decoded);
        return strpos($frame, '<cpanelresult>{"cpanelresult"') !== false ? $decoded : ['cpanelresult' => $decoded];
    }

    /**
     * @param mixed $data
     *
     * @return mixed The value at the dotted path, or '(absent)'
     */
    private static function dig($data, string $path)
    {
        foreach (explode('.', $path) as $key) {
            if (!is_array($data) || !array_key_exists($key, $data)) {
                return '(absent)';
            }
            $data = $data[$key];
        }
        return $data;
    }
}
