<?php
/**
 * CPANEL - LiveAPI client for PHP scripts run by liveapid or by cPanel's cpsrvd.
 *
 * A drop-in replacement for cPanel's /usr/local/cpanel/php/cpanel.php
 * ("Release 2.1"): the same global class, the same public methods, the same
 * request bytes on the socket and the same result arrays, so existing
 * `*.live.php` scripts run unchanged:
 *
 *     require_once 'cpanel.php';
 *     $cpanel = new CPANEL();
 *     $r = $cpanel->uapi('Email', 'passwd_pop', array(
 *         'email' => 'user', 'password' => '12345luggage', 'domain' => 'example.com',
 *     ));
 *     if ($r['cpanelresult']['result']['status']) { ... }
 *
 * Wire format (docs/protocol.md in the liveapid repository):
 *
 *     request:  <decimal byte length> LF <payload>
 *     reply:    <?xml version="1.0" ?> LF <cpanelresult>JSON</cpanelresult> LF
 *
 * Where this class differs from the official one, it is on purpose:
 *
 *  - Replies are read up to the frame's `</cpanelresult>`, whatever the line
 *    layout: keep-alive newlines after the XML declaration, a stray leading
 *    newline, whitespace around the JSON or a missing final newline all decode.
 *  - A reply is "wrapped" when the first member of its JSON object is
 *    `cpanelresult` (the official class searches the raw text, so it wraps
 *    pretty-printed API2 replies twice). Callers always get a top-level
 *    `cpanelresult` either way.
 *  - Every failure throws; a call never returns the previous call's result.
 *    Socket problems throw CPANEL_SocketException (a RuntimeException, with
 *    the OS errno as code where there is one), unusable replies throw
 *    CPANEL_ProtocolException (an UnexpectedValueException), arguments that
 *    cannot be encoded as JSON throw InvalidArgumentException (nothing is sent).
 *    After a socket or protocol error the session is closed: later calls
 *    throw RuntimeException instead of reading a reply meant for another call.
 *  - A reply whose JSON object has "session":"closed" (liveapid sends it for
 *    a request over its --max-request-bytes, then closes the connection)
 *    throws CPANEL_SocketException with the engine's error text and code
 *    EMSGSIZE, and closes the session. When the engine closes before the
 *    request is fully written, the write fails (EPIPE, ECONNRESET); the
 *    engine's frame, if one is waiting, gives the message instead.
 *  - Reads have an idle timeout (default: the `default_socket_timeout` ini
 *    value, see set_timeout()). It throws instead of returning stale data.
 *  - The debug log never contains the value of an argument whose name
 *    contains "pass", "secret" or "token" (password, oldpass, password_hash,
 *    api_token, ...).
 *
 * @category  Cpanel
 * @package   CPANEL
 * @license   MIT
 * @version   Release: 2.1 (liveapid 1.0.0)
 * @link      https://go.cpanel.net/livephp
 */

/**
 * The socket to the cPanel engine failed: connect, send, receive, timeout,
 * or the engine closed the connection. The code is the OS errno where the
 * failure has one (ENOENT, ECONNREFUSED, EPIPE, ECONNRESET, ETIMEDOUT, ...),
 * 0 for a clean end of stream at the wrong moment, EMSGSIZE (90) when the
 * engine closed the session with a "session":"closed" reply (a request over
 * its size limit); the message is then the engine's own text.
 */
class CPANEL_SocketException extends RuntimeException
{
}

/**
 * The cPanel engine sent something that is not a LiveAPI reply frame, or a
 * frame whose JSON cannot be decoded into an object.
 */
class CPANEL_ProtocolException extends UnexpectedValueException
{
}

/**
 * LiveAPI client: one object is one connection (one session) to the engine.
 */
class CPANEL
{
    /** Version of this implementation (the API level is the official "Release 2.1"). */
    const VERSION = '1.0.0';

    /** Sent as the first request of every session: replies are JSON from then on. */
    const JSON_SWITCH = '<cpaneljson enable="1">';

    /** Sent by end() and the destructor; the engine answers by closing. */
    const SHUTDOWN = '<cpanelxml shutdown="1" />';

    /** Prefix of the message of the exception thrown by calls on a closed session (as the official class). */
    const CLOSED_MESSAGE = 'The LiveAPI PHP socket has closed, unable to continue.';

    /** Replies larger than this are refused: cPanel's own Go client caps them at 20 MiB. */
    const MAX_REPLY_BYTES = 33554432;

    /** Bytes asked for per read; the stream has no read buffer of its own. */
    const READ_CHUNK = 65536;

    /** sockaddr_un.sun_path holds 108 bytes including the terminating NUL. */
    const MAX_SOCKET_PATH = 107;

    /** Linux errno values used as exception codes when the OS does not supply one. */
    const ENOENT = 2;
    const EINTR = 4;
    const EPIPE = 32;
    const ENAMETOOLONG = 36;
    const ECONNRESET = 104;
    const EMSGSIZE = 90;
    const ETIMEDOUT = 110;

    /**
     * Seconds to wait, after a failed write, for the frame in which the
     * engine says why it closed the connection.
     */
    const CLOSING_FRAME_WAIT = 1.0;

    /**
     * 1 while the session is open, 0 after end() or a fatal error (public, as
     * in the official class).
     *
     * @var int
     */
    public $connected = 0;

    /** @var resource|null The connected Unix stream socket. */
    private $socket;

    /** @var string Bytes received and not yet consumed by a reply. */
    private $buffer = '';

    /**
     * @var int Offset in $buffer up to which no `</cpanelresult>` can start,
     *          so each read only scans new bytes.
     */
    private $scanned = 0;

    /** @var float|null Idle read/write timeout in seconds; null waits forever. */
    private $timeout;

    /** @var string Why the session closed, added to CLOSED_MESSAGE. */
    private $closeReason = 'the session was never opened';

    /** @var array|null Decoded result of the last call (what get_result() reads). */
    private $_result;

    /** @var mixed Cached Chrome::get_dom data for header()/footer(). */
    private $_dom;

    /** @var int Debug level: 0 off, 1 log every exchange. */
    private $_debug_level = 0;

    /** @var string|null Path of the debug log. */
    private $_debug_log;

    /** @var resource|null Open handle of the debug log. */
    private $_debug_fh;

    /**
     * Connect to the engine and switch the session to JSON replies.
     *
     * The socket path comes from the environment: CPANEL_PHPCONNECT_SOCKET,
     * or CPANEL_CONNECT_SOCKET when the former is unset or empty. The PHP
     * constants LIVEPHP_DEBUG_LOG and LIVEPHP_DEBUG_LEVEL, when defined,
     * set the debug log path and level as in the official class.
     *
     * @throws RuntimeException if neither environment variable is set
     * @throws CPANEL_SocketException if the socket cannot be reached (code: errno)
     * @throws CPANEL_ProtocolException if the engine does not answer the JSON switch properly
     * @throws UnexpectedValueException if LIVEPHP_DEBUG_LEVEL is not numeric
     */
    public function __construct()
    {
        if (defined('LIVEPHP_DEBUG_LOG')) {
            $this->_debug_log = (string) constant('LIVEPHP_DEBUG_LOG');
        }
        if (defined('LIVEPHP_DEBUG_LEVEL')) {
            $this->set_debug(constant('LIVEPHP_DEBUG_LEVEL'));
        }
        $this->timeout = self::defaultTimeout();

        $path = self::socketPathFromEnvironment();
        $this->socket = self::connect($path, $this->timeout);
        $this->connected = 1;
        $this->closeReason = '';
        $this->debug_log(1, '(connect) ' . $path);

        $this->exec(self::JSON_SWITCH);
    }

    /**
     * Close the session if the script did not call end().
     *
     * Never throws: an exception escaping a destructor would be fatal.
     *
     * @return void
     */
    public function __destruct()
    {
        if ($this->connected) {
            try {
                $this->end();
            } catch (Throwable $e) {
                // The socket is closed either way; nothing useful to report here.
            }
        }
        $this->closeDebugLog();
    }

    /**
     * Set the idle timeout for socket reads and writes.
     *
     * A call fails with CPANEL_SocketException (code ETIMEDOUT) when the
     * engine sends nothing for this long; the keep-alive newlines the engine
     * sends during slow calls count as activity. The default is the
     * `default_socket_timeout` ini value at construction time.
     *
     * @param float|int|null $seconds Seconds; null, 0 or a negative value wait forever
     *
     * @return void
     * @throws InvalidArgumentException if $seconds is neither null nor numeric
     */
    public function set_timeout($seconds)
    {
        if ($seconds !== null && !is_numeric($seconds)) {
            throw new InvalidArgumentException('CPANEL::set_timeout expects a number of seconds or null.');
        }
        $this->timeout = ($seconds === null || (float) $seconds <= 0) ? null : (float) $seconds;
    }

    /**
     * Return the idle timeout in seconds.
     *
     * @return float|null Seconds, or null when reads wait forever
     */
    public function get_timeout()
    {
        return $this->timeout;
    }

    /**
     * Enable or disable the debug log.
     *
     * Level 1 logs every request and every raw reply, with the values of JSON
     * members whose name contains "pass", "secret" or "token" replaced by "[redacted]". The log is LIVEPHP_DEBUG_LOG when that constant is
     * defined, otherwise ~/.cpanel/livephp.log.<random> (created mode 0600).
     *
     * @param int|string $debug_level 0 (off) or 1 (log socket traffic)
     *
     * @return void
     * @throws UnexpectedValueException if $debug_level is not numeric (logging is then turned off)
     * @throws RuntimeException if the debug log cannot be opened
     */
    public function set_debug($debug_level)
    {
        if (!is_numeric($debug_level)) {
            $this->set_debug(0);
            throw new UnexpectedValueException('CPANEL::set_debug given non-integer value.');
        }
        $debug_level = (int) $debug_level;
        if ($debug_level > 0 && !is_resource($this->_debug_fh)) {
            $this->openDebugLog();
        } elseif ($debug_level <= 0) {
            $this->closeDebugLog();
        }
        $this->_debug_level = max(0, $debug_level);
    }

    /**
     * Return the current debug level.
     *
     * @return int 0 when debugging is off
     */
    public function get_debug_level()
    {
        return $this->_debug_level;
    }

    /**
     * Return the path of the debug log.
     *
     * @return string|null The path, or null when no log was chosen yet
     */
    public function get_debug_log()
    {
        return $this->_debug_log;
    }

    /**
     * Write a line to the debug log if $level is enabled.
     *
     * @param int    $level   Level at which the message is logged (1 and up)
     * @param string $log_msg The message; the caller is responsible for its content
     *
     * @return void
     */
    public function debug_log($level, $log_msg)
    {
        if ($level > 0 && $level <= $this->_debug_level && is_resource($this->_debug_fh)) {
            fwrite($this->_debug_fh, date('[d-M-Y H:i:s] ') . $log_msg . "\n");
        }
    }

    /**
     * Decode a JSON string and write its structure to the debug log.
     *
     * @param string $str JSON text
     *
     * @return void
     */
    public function debug_log_json($str)
    {
        $parsed = json_decode((string) $str, true);
        if (json_last_error() !== JSON_ERROR_NONE) {
            $this->debug_log(1, 'JSON_decode: ' . json_last_error_msg());
            return;
        }
        $this->debug_log(1, 'JSON_decode: ' . var_export($parsed, true));
    }

    /**
     * Return the value of a cPanel variable with the legacy print tag.
     *
     * Sends `<cpanel print="$var">` verbatim (no escaping, as the official class).
     *
     * @param string $var The variable, e.g. '$homedir' or '$CPDATA{\'DNS\'}'
     *
     * @return array The reply, the value under ['cpanelresult']['data']['result']
     * @throws RuntimeException if the session is closed
     * @throws CPANEL_SocketException on a socket failure or timeout
     * @throws CPANEL_ProtocolException if the reply is not a LiveAPI frame
     */
    public function fetch($var)
    {
        return $this->exec('<cpanel print="' . $var . '">');
    }

    /**
     * Call an API1 function.
     *
     * @param string       $module API1 module, e.g. 'print'
     * @param string       $func   API1 function
     * @param array|string $args   Positional arguments, or one bare string
     *
     * @return array The reply, with a top-level 'cpanelresult'
     * @throws RuntimeException if the session is closed
     * @throws InvalidArgumentException if the arguments cannot be encoded as JSON
     * @throws CPANEL_SocketException on a socket failure or timeout
     * @throws CPANEL_ProtocolException if the reply is not a LiveAPI frame
     */
    public function api1($module, $func, $args = array())
    {
        return $this->api('exec', '1', $module, $func, $args);
    }

    /**
     * Call an API2 function.
     *
     * @param string $module API2 module, e.g. 'Email'
     * @param string $func   API2 function, e.g. 'listpopswithdisk'
     * @param array  $args   Named arguments
     *
     * @return array The reply, e.g. ['cpanelresult']['data'] holds the rows
     * @throws RuntimeException if the session is closed
     * @throws InvalidArgumentException if the arguments cannot be encoded as JSON
     * @throws CPANEL_SocketException on a socket failure or timeout
     * @throws CPANEL_ProtocolException if the reply is not a LiveAPI frame
     */
    public function api2($module, $func, $args = array())
    {
        return $this->api('exec', '2', $module, $func, $args);
    }

    /**
     * Call a UAPI function with apiversion "3" (an alias of uapi()).
     *
     * @param string $module UAPI module
     * @param string $func   UAPI function
     * @param array  $args   Named arguments
     *
     * @return array The reply, the UAPI result under ['cpanelresult']['result']
     * @throws RuntimeException if the session is closed
     * @throws InvalidArgumentException if the arguments cannot be encoded as JSON
     * @throws CPANEL_SocketException on a socket failure or timeout
     * @throws CPANEL_ProtocolException if the reply is not a LiveAPI frame
     */
    public function api3($module, $func, $args = array())
    {
        return $this->api('exec', '3', $module, $func, $args);
    }

    /**
     * Call a UAPI function.
     *
     * @param string $module UAPI module, e.g. 'Email'
     * @param string $func   UAPI function, e.g. 'passwd_pop'
     * @param array  $args   Named arguments
     *
     * @return array The reply: ['cpanelresult']['result'] holds status, errors,
     *               messages, warnings, metadata and data
     * @throws RuntimeException if the session is closed
     * @throws InvalidArgumentException if the arguments cannot be encoded as JSON
     * @throws CPANEL_SocketException on a socket failure or timeout
     * @throws CPANEL_ProtocolException if the reply is not a LiveAPI frame
     */
    public function uapi($module, $func, $args = array())
    {
        return $this->api('exec', 'uapi', $module, $func, $args);
    }

    /**
     * Evaluate a cPanel conditional expression.
     *
     * @param string $code Expression, e.g. '$haspostgres' or '!$isreseller'
     *
     * @return int 1 if the expression is true, 0 otherwise
     * @throws RuntimeException if the session is closed
     * @throws InvalidArgumentException if the expression cannot be encoded as JSON
     * @throws CPANEL_SocketException on a socket failure or timeout
     * @throws CPANEL_ProtocolException if the reply is not a LiveAPI frame
     * @throws UnexpectedValueException if the reply has no cpanelresult.data.result
     */
    public function cpanelif($code)
    {
        return self::simpleResult($this->api('if', '1', 'if', 'if', $code), 'cpanelif') ? 1 : 0;
    }

    /**
     * Tell whether the account has a feature.
     *
     * @param string $feature Feature name, e.g. 'fileman'
     *
     * @return int 1 if the account has the feature, 0 otherwise
     * @throws RuntimeException if the session is closed
     * @throws InvalidArgumentException if the name cannot be encoded as JSON
     * @throws CPANEL_SocketException on a socket failure or timeout
     * @throws CPANEL_ProtocolException if the reply is not a LiveAPI frame
     * @throws UnexpectedValueException if the reply has no cpanelresult.data.result
     */
    public function cpanelfeature($feature)
    {
        return self::simpleResult(
            $this->api('feature', '1', 'feature', 'feature', $feature),
            'cpanelfeature'
        ) ? 1 : 0;
    }

    /**
     * Return the value of a cPanel variable (API1 print with a bare string).
     *
     * @param string $var The variable, e.g. '$homedir'
     *
     * @return mixed The value (a string for ordinary variables)
     * @throws RuntimeException if the session is closed
     * @throws InvalidArgumentException if the name cannot be encoded as JSON
     * @throws CPANEL_SocketException on a socket failure or timeout
     * @throws CPANEL_ProtocolException if the reply is not a LiveAPI frame
     * @throws UnexpectedValueException if the reply has no cpanelresult.data.result
     */
    public function cpanelprint($var)
    {
        return self::simpleResult($this->api1('print', '', $var), 'cpanelprint');
    }

    /**
     * Translate a language key (API1 langprint).
     *
     * @param string $key Language key
     *
     * @deprecated As in cPanel: use API1 Locale::maketext instead.
     * @return mixed The translated text
     * @throws RuntimeException if the session is closed
     * @throws InvalidArgumentException if the key cannot be encoded as JSON
     * @throws CPANEL_SocketException on a socket failure or timeout
     * @throws CPANEL_ProtocolException if the reply is not a LiveAPI frame
     * @throws UnexpectedValueException if the reply has no cpanelresult.data.result
     */
    public function cpanellangprint($key)
    {
        return self::simpleResult($this->api1('langprint', '', $key), 'cpanellangprint');
    }

    /**
     * Send one raw request and return its decoded reply.
     *
     * The api*() and cpanel*() methods call this; use it directly only for
     * legacy tags such as `<cpanel setvar="debug=0">`.
     *
     * @param string   $code        The request payload (its length prefix is added here)
     * @param bool|int $skip_return Read the reply but do not decode it; return null
     *
     * @return array|null The reply, always with a top-level 'cpanelresult'
     * @throws RuntimeException if the session is closed
     * @throws CPANEL_SocketException on a socket failure or timeout, or when the
     *         engine ends the session ("session":"closed", code EMSGSIZE); the session is then closed
     * @throws CPANEL_ProtocolException if the reply is not a LiveAPI frame (the session is then closed)
     */
    public function exec($code, $skip_return = 0)
    {
        $this->assertConnected();
        $code = (string) $code;
        $this->_result = null;
        if ($this->_debug_level) {
            $this->debug_log(1, '(exec) SEND:' . self::redactSecrets($code));
        }
        try {
            $this->receivePending();
            $this->send($code);
            $frame = $this->readFrame();
            if ($this->_debug_level) {
                $this->debug_log(1, '(exec) RECV:' . self::redactSecrets($frame));
            }
            $closing = self::closingText($frame);
            if ($closing !== null) {
                throw new CPANEL_SocketException($closing, self::EMSGSIZE);
            }
            if ($skip_return) {
                return null;
            }
            $this->_result = self::decodeFrame($frame);
        } catch (CPANEL_SocketException | CPANEL_ProtocolException $e) {
            $this->abandon($e);
            throw $e;
        }
        return $this->_result;
    }

    /**
     * Send an API call as JSON, exactly as the official class does.
     *
     * The request is `<cpanelaction>` LF json LF `</cpanelaction>` where json
     * is PHP's json_encode (default flags) of module, reqtype, func,
     * apiversion and args, in that order; args is left out when empty().
     *
     * @param string       $reqtype 'exec', 'if' or 'feature'
     * @param string       $version '1', '2', '3' or 'uapi'
     * @param string       $module  Module name
     * @param string       $func    Function name
     * @param array|string $args    Named arguments (API2/UAPI), positional ones
     *                              or a bare string (API1), an expression (if/feature)
     *
     * @return array The reply, always with a top-level 'cpanelresult'
     * @throws RuntimeException if the session is closed
     * @throws InvalidArgumentException if the request cannot be encoded as JSON (nothing is sent)
     * @throws CPANEL_SocketException on a socket failure or timeout
     * @throws CPANEL_ProtocolException if the reply is not a LiveAPI frame
     */
    public function api($reqtype, $version, $module, $func, $args = array())
    {
        $this->assertConnected();
        $request = array(
            'module' => $module,
            'reqtype' => $reqtype,
            'func' => $func,
            'apiversion' => $version,
        );
        if (!empty($args)) {
            $request['args'] = $args;
        }
        $json = json_encode($request);
        if ($json === false) {
            throw new InvalidArgumentException(
                sprintf(
                    'Cannot encode the %s request for %s::%s as JSON: %s; nothing was sent.',
                    self::printable($reqtype),
                    self::printable($module),
                    self::printable($func),
                    json_last_error_msg()
                ),
                json_last_error()
            );
        }
        return $this->exec("<cpanelaction>\n" . $json . "\n</cpanelaction>");
    }

    /**
     * Return the data of the last call, as the official class.
     *
     * That is ['cpanelresult']['data']['result'] when it exists (API1, print),
     * otherwise ['cpanelresult']['data'] (API2 rows). UAPI replies keep their
     * data under ['cpanelresult']['result']['data'] instead; read it there.
     *
     * @return mixed The data
     * @throws UnexpectedValueException if there is no result (no call yet, or the last call failed)
     * @throws OutOfBoundsException if the last reply has no cpanelresult.data array
     */
    public function get_result()
    {
        if (!$this->_result) {
            throw new UnexpectedValueException('No previous result exists');
        }
        if (!isset($this->_result['cpanelresult']['data'])
            || !is_array($this->_result['cpanelresult'])
            || !is_array($this->_result['cpanelresult']['data'])
        ) {
            throw new OutOfBoundsException(
                'cpanelresult->data associative array key does not exist or previous call did not return array'
            );
        }
        if (array_key_exists('result', $this->_result['cpanelresult']['data'])) {
            return $this->_result['cpanelresult']['data']['result'];
        }
        return $this->_result['cpanelresult']['data'];
    }

    /**
     * Return the page header of the current theme (UAPI Chrome::get_dom).
     *
     * @param string $title   Page title
     * @param string $app_key Application key
     *
     * @return string HTML up to the start of the page content
     * @throws UnexpectedValueException if the engine returns no header
     * @throws RuntimeException if the session is closed or the call fails on the socket
     */
    public function header($title = '', $app_key = '')
    {
        if (!$this->_dom) {
            $this->_dom = $this->fetchDom(array('page_title' => $title, 'app_key' => $app_key));
        }
        if (!array_key_exists('header', $this->_dom)) {
            throw new UnexpectedValueException('No header in DOM response!');
        }
        return $this->_dom['header'];
    }

    /**
     * Return the page footer of the current theme (UAPI Chrome::get_dom).
     *
     * @param string $title Page title (sent as 'title', as the official class does)
     *
     * @return string HTML from the end of the page content
     * @throws UnexpectedValueException if the engine returns no footer
     * @throws RuntimeException if the session is closed or the call fails on the socket
     */
    public function footer($title = '')
    {
        if (!$this->_dom) {
            $this->_dom = $this->fetchDom(array('title' => $title));
        }
        if (!array_key_exists('footer', $this->_dom)) {
            throw new UnexpectedValueException('No footer in DOM response!');
        }
        return $this->_dom['footer'];
    }

    /**
     * End the session: send the shutdown request, wait for the engine to
     * close the connection, close it here too.
     *
     * Idempotent: later calls (and the destructor) do nothing. The socket is
     * closed when this returns or throws.
     *
     * @return void
     * @throws CPANEL_SocketException (code ETIMEDOUT) if the engine does not close within the timeout
     */
    public function end()
    {
        if (!$this->connected) {
            return;
        }
        $this->_result = null;
        $this->debug_log(1, '(end) SEND:' . self::SHUTDOWN);
        try {
            $this->send(self::SHUTDOWN);
            $this->discardUntilEof();
        } catch (CPANEL_SocketException $e) {
            // The engine is gone already (EPIPE, ECONNRESET, ...): that is the
            // goal of a shutdown. Only a timeout means it would not let go.
            if ($e->getCode() === self::ETIMEDOUT) {
                $this->disconnect('end() timed out waiting for the engine to close');
                $this->closeDebugLog();
                throw $e;
            }
        }
        $this->disconnect('end() was called');
        $this->debug_log(1, 'MAX_MEM: ' . memory_get_peak_usage());
        $this->closeDebugLog();
    }

    /**
     * Call Chrome::get_dom and return its data.
     *
     * @param array $args Arguments of the call
     *
     * @return array The data, with 'header' and/or 'footer'
     * @throws UnexpectedValueException if the call did not return a data object
     * @throws RuntimeException if the session is closed or the call fails on the socket
     */
    private function fetchDom(array $args)
    {
        $reply = $this->uapi('Chrome', 'get_dom', $args);
        if (!isset($reply['cpanelresult']['result']['data']) || !is_array($reply['cpanelresult']['result']['data'])) {
            throw new UnexpectedValueException(
                'Chrome::get_dom returned no DOM' . self::describeFailure($reply['cpanelresult'])
            );
        }
        return $reply['cpanelresult']['result']['data'];
    }

    /**
     * Throw unless the session is open.
     *
     * @return void
     * @throws RuntimeException if the session is closed
     */
    private function assertConnected()
    {
        if (!$this->connected || !is_resource($this->socket)) {
            throw new RuntimeException(self::CLOSED_MESSAGE . ' (' . $this->closeReason . ')');
        }
    }

    /**
     * Close the session after a socket or protocol error, and log why.
     *
     * @param Exception $error What went wrong
     *
     * @return void
     */
    private function abandon(Exception $error)
    {
        $this->debug_log(1, '(error) ' . get_class($error) . ': ' . $error->getMessage());
        $this->disconnect('after an error: ' . $error->getMessage());
    }

    /**
     * Close the socket and mark the session closed.
     *
     * @param string $reason Shown in the message of later calls
     *
     * @return void
     */
    private function disconnect($reason)
    {
        if (is_resource($this->socket)) {
            fclose($this->socket);
        }
        $this->socket = null;
        $this->connected = 0;
        $this->buffer = '';
        $this->scanned = 0;
        $this->closeReason = $reason;
    }

    /**
     * Send one request with its length prefix.
     *
     * @param string $payload The request payload
     *
     * @return void
     * @throws CPANEL_SocketException on a write error (code: errno) or timeout;
     *         code EMSGSIZE with the engine's text when it closed the session
     */
    private function send($payload)
    {
        $data = strlen($payload) . "\n" . $payload;
        while ($data !== '') {
            $this->waitFor('write');
            $error = null;
            $written = self::quietly(function () use ($data) {
                return fwrite($this->socket, $data);
            }, $error);
            if ($written === false) {
                $errno = self::errnoOf($error, self::EPIPE);
                // The engine may have refused the request (too big) and closed
                // before reading all of it; its reason is then waiting here.
                $closing = ($errno === self::EPIPE || $errno === self::ECONNRESET) ? $this->closingFrameText() : null;
                if ($closing !== null) {
                    throw new CPANEL_SocketException($closing, self::EMSGSIZE);
                }
                throw new CPANEL_SocketException(
                    'Cannot send the request to the cPanel engine: ' . self::describeError($error, 'write failed'),
                    $errno
                );
            }
            $data = (string) substr($data, $written);
        }
    }

    /**
     * Read one reply frame: everything up to the first `</cpanelresult>` and
     * the newline after it, if that has arrived.
     *
     * A frame never contains `</cpanelresult>` inside its JSON (the engine
     * escapes `<`), so the first one is the end. A final newline that arrives
     * later is leading whitespace of the next frame, which decodeFrame skips.
     *
     * @return string The frame
     * @throws CPANEL_SocketException if the connection ends or times out first
     * @throws CPANEL_ProtocolException if the reply exceeds MAX_REPLY_BYTES
     */
    private function readFrame()
    {
        $close = '</cpanelresult>';
        while (($end = strpos($this->buffer, $close, $this->scanned)) === false) {
            $this->scanned = max(0, strlen($this->buffer) - strlen($close) + 1);
            if (strlen($this->buffer) > self::MAX_REPLY_BYTES) {
                throw new CPANEL_ProtocolException(sprintf(
                    'The reply from the cPanel engine exceeds %d bytes without a closing </cpanelresult>.',
                    self::MAX_REPLY_BYTES
                ));
            }
            if (!$this->receive()) {
                throw new CPANEL_SocketException(sprintf(
                    'The cPanel engine closed the connection before the reply was complete (%d bytes received).',
                    strlen($this->buffer)
                ));
            }
        }
        $length = $end + strlen($close);
        if (substr($this->buffer, $length, 1) === "\n") {
            $length++;
        }
        $frame = substr($this->buffer, 0, $length);
        $this->buffer = (string) substr($this->buffer, $length);
        $this->scanned = 0;
        return $frame;
    }

    /**
     * After a failed write, read the frame the engine may have sent before
     * it closed, waiting at most CLOSING_FRAME_WAIT seconds.
     *
     * @return string|null The engine's text if that frame says "session":"closed", else null
     */
    private function closingFrameText()
    {
        $deadline = microtime(true) + self::CLOSING_FRAME_WAIT;
        while (strpos($this->buffer, '</cpanelresult>') === false) {
            $left = $deadline - microtime(true);
            if ($left <= 0) {
                return null;
            }
            $read = array($this->socket);
            $write = $except = array();
            $error = null;
            $ready = self::quietly(function () use (&$read, &$write, &$except, $left) {
                return stream_select($read, $write, $except, (int) floor($left), (int) (($left - floor($left)) * 1000000));
            }, $error);
            if ($ready === false && strpos((string) $error, '[' . self::EINTR . ']') !== false) {
                continue;
            }
            if (!$ready) {
                return null;
            }
            $chunk = self::quietly(function () {
                return fread($this->socket, self::READ_CHUNK);
            }, $error);
            if ($chunk === false || $chunk === '') {
                return null;
            }
            $this->buffer .= $chunk;
        }
        return self::closingText($this->buffer);
    }

    /**
     * Before a request, take in whatever the engine sent unasked.
     *
     * Whitespace (a late final newline) is harmless. Anything else, or the
     * engine having closed the connection, means the session cannot go on.
     *
     * @return void
     * @throws CPANEL_SocketException if the engine closed the connection
     * @throws CPANEL_ProtocolException if unexpected bytes are waiting
     */
    private function receivePending()
    {
        while (trim($this->buffer) === '' && $this->waitFor('read', true)) {
            if (!$this->receive()) {
                throw new CPANEL_SocketException('The cPanel engine closed the connection.');
            }
        }
        if (trim($this->buffer) !== '') {
            throw new CPANEL_ProtocolException(sprintf(
                'The cPanel engine sent %d unexpected bytes between replies; the session is out of step.',
                strlen(trim($this->buffer))
            ));
        }
        $this->buffer = '';
        $this->scanned = 0;
    }

    /**
     * After the shutdown request, read and drop everything until the engine closes.
     *
     * @return void
     * @throws CPANEL_SocketException on a timeout or a read error
     */
    private function discardUntilEof()
    {
        $discarded = 0;
        while ($this->receive()) {
            $discarded += strlen($this->buffer);
            $this->buffer = '';
            if ($discarded > self::MAX_REPLY_BYTES) {
                return; // The engine keeps talking; closing our end is all that is left.
            }
        }
    }

    /**
     * Wait for data (idle timeout applies) and append it to the buffer.
     *
     * @return bool True when bytes were added, false at end of stream
     * @throws CPANEL_SocketException on a timeout (ETIMEDOUT) or a read error (errno)
     */
    private function receive()
    {
        while (true) {
            $this->waitFor('read');
            $error = null;
            $chunk = self::quietly(function () {
                return fread($this->socket, self::READ_CHUNK);
            }, $error);
            if ($chunk === false) {
                $errno = self::errnoOf($error, 0);
                if ($errno === self::ECONNRESET) {
                    return false;
                }
                throw new CPANEL_SocketException(
                    'Cannot read the reply of the cPanel engine: ' . self::describeError($error, 'read failed'),
                    $errno
                );
            }
            if ($chunk !== '') {
                $this->buffer .= $chunk;
                return true;
            }
            if (feof($this->socket)) {
                return false;
            }
            // Readable but nothing read: a spurious wakeup; wait again.
        }
    }

    /**
     * Wait until the socket is readable or writable, at most the idle timeout.
     *
     * @param string $direction 'read' or 'write'
     * @param bool   $poll      Only look, do not wait: return false if not ready
     *
     * @return bool True when ready; false only when polling found it not ready
     * @throws CPANEL_SocketException on a timeout (ETIMEDOUT) or a select error
     */
    private function waitFor($direction, $poll = false)
    {
        $deadline = ($poll || $this->timeout === null) ? null : microtime(true) + $this->timeout;
        while (true) {
            $read = ($direction === 'read') ? array($this->socket) : array();
            $write = ($direction === 'write') ? array($this->socket) : array();
            $except = array();
            $seconds = $poll ? 0 : null;
            $micro = 0;
            if ($deadline !== null) {
                $left = max(0.0, $deadline - microtime(true));
                $seconds = (int) floor($left);
                $micro = (int) (($left - $seconds) * 1000000);
            }
            $error = null;
            $ready = self::quietly(function () use (&$read, &$write, &$except, $seconds, $micro) {
                return stream_select($read, $write, $except, $seconds, $micro);
            }, $error);
            if ($ready === false) {
                if (strpos((string) $error, '[' . self::EINTR . ']') !== false) {
                    continue; // A signal handler ran; the deadline still holds.
                }
                throw new CPANEL_SocketException(
                    'Cannot wait for the cPanel engine: ' . self::describeError($error, 'select failed'),
                    self::errnoOf($error, 0)
                );
            }
            if ($ready > 0) {
                return true;
            }
            if ($poll) {
                return false;
            }
            if ($deadline !== null && microtime(true) >= $deadline) {
                throw new CPANEL_SocketException(sprintf(
                    'The cPanel engine did not %s within %s seconds; the session is closed '
                    . '(a slow call needs keep-alive lines from the engine, or a longer set_timeout()).',
                    $direction === 'read' ? 'answer' : 'accept the request',
                    rtrim(rtrim(sprintf('%.3f', $this->timeout), '0'), '.')
                ), self::ETIMEDOUT);
            }
        }
    }

    /**
     * Open the debug log named by LIVEPHP_DEBUG_LOG or a new file in ~/.cpanel.
     *
     * @return void
     * @throws RuntimeException if the file cannot be opened
     */
    private function openDebugLog()
    {
        if ($this->_debug_log === null || $this->_debug_log === '') {
            $dir = self::homeDirectory() . '/.cpanel';
            if (!is_dir($dir)) {
                @mkdir($dir, 0700, true);
            }
            $this->_debug_log = $dir . '/livephp.log.' . random_int(10000000, 99999999);
        }
        $existed = file_exists($this->_debug_log);
        $error = null;
        $path = $this->_debug_log;
        $fh = self::quietly(function () use ($path) {
            return fopen($path, 'a');
        }, $error);
        if ($fh === false) {
            throw new RuntimeException(
                'Cannot open the LiveAPI debug log ' . $path . ': ' . self::describeError($error, 'fopen failed')
            );
        }
        if (!$existed) {
            @chmod($path, 0600);
        }
        $this->_debug_fh = $fh;
    }

    /**
     * Close the debug log if it is open.
     *
     * @return void
     */
    private function closeDebugLog()
    {
        if (is_resource($this->_debug_fh)) {
            fclose($this->_debug_fh);
        }
        $this->_debug_fh = null;
    }

    /**
     * Idle timeout from the `default_socket_timeout` ini setting.
     *
     * @return float|null Seconds, or null for none
     */
    private static function defaultTimeout()
    {
        $seconds = (float) ini_get('default_socket_timeout');
        return $seconds > 0 ? $seconds : null;
    }

    /**
     * Find the socket path in the environment.
     *
     * @return string The path
     * @throws RuntimeException if neither variable is set
     */
    private static function socketPathFromEnvironment()
    {
        foreach (array('CPANEL_PHPCONNECT_SOCKET', 'CPANEL_CONNECT_SOCKET') as $name) {
            $value = getenv($name);
            if (is_string($value) && $value !== '') {
                return $value;
            }
        }
        throw new RuntimeException(
            'Cannot find the LiveAPI socket: neither CPANEL_PHPCONNECT_SOCKET nor CPANEL_CONNECT_SOCKET '
            . 'is set. Run the script through the cPanel engine (as a .live.php page) or set one of '
            . 'them to the socket path.'
        );
    }

    /**
     * Connect to the engine's Unix socket and make the stream non-blocking.
     *
     * @param string     $path    Socket path
     * @param float|null $timeout Connect timeout in seconds, null for PHP's default
     *
     * @return resource The connected stream
     * @throws CPANEL_SocketException if the connection fails (code: errno)
     */
    private static function connect($path, $timeout)
    {
        if (strlen($path) > self::MAX_SOCKET_PATH) {
            throw new CPANEL_SocketException(sprintf(
                'Cannot connect to the cPanel engine: the socket path is %d bytes long, at most %d fit: %s',
                strlen($path),
                self::MAX_SOCKET_PATH,
                self::printable($path)
            ), self::ENAMETOOLONG);
        }
        $errno = 0;
        $errstr = '';
        $error = null;
        $socket = self::quietly(function () use ($path, $timeout, &$errno, &$errstr) {
            return stream_socket_client(
                'unix://' . $path,
                $errno,
                $errstr,
                $timeout === null ? (float) ini_get('default_socket_timeout') : $timeout
            );
        }, $error);
        if (!is_resource($socket)) {
            throw new CPANEL_SocketException(sprintf(
                'Cannot connect to the cPanel engine at %s: %s. Make sure the script runs as a '
                . '.live.php page or that liveapid is serving that socket.',
                self::printable($path),
                $errstr !== '' ? $errstr : self::describeError($error, 'connect failed')
            ), $errno ? $errno : self::errnoOf($error, 0));
        }
        stream_set_blocking($socket, false);
        stream_set_read_buffer($socket, 0);
        stream_set_write_buffer($socket, 0);
        return $socket;
    }

    /**
     * Decode one reply frame into the array the caller gets.
     *
     * Accepts optional leading whitespace, an optional `<?xml ...?>` line,
     * keep-alive newlines, and whitespace around the JSON.
     *
     * @param string $frame Bytes up to and including `</cpanelresult>`
     *
     * @return array The reply, with a top-level 'cpanelresult'
     * @throws CPANEL_ProtocolException if the frame or its JSON is malformed
     */
    private static function decodeFrame($frame)
    {
        $whitespace = " \t\r\n";
        $pos = strspn($frame, $whitespace);
        if (substr($frame, $pos, 5) === '<?xml') {
            $declarationEnd = strpos($frame, '?>', $pos);
            if ($declarationEnd === false) {
                throw new CPANEL_ProtocolException('Malformed reply from the cPanel engine: unterminated <?xml declaration.');
            }
            $pos = $declarationEnd + 2;
            $pos += strspn($frame, $whitespace, $pos);
        }
        $open = '<cpanelresult>';
        if (substr($frame, $pos, strlen($open)) !== $open) {
            throw new CPANEL_ProtocolException(
                'Malformed reply from the cPanel engine: expected <cpanelresult>, got '
                . self::printable(substr($frame, $pos, 40))
            );
        }
        $start = $pos + strlen($open);
        $end = strrpos($frame, '</cpanelresult>');
        $json = trim(substr($frame, $start, $end - $start), $whitespace);
        if ($json === '') {
            // What the official class (and cPanel) make of an empty frame.
            $message = 'Error cannot be propagated to liveapi, please check the cPanel error_log.';
            return array('cpanelresult' => array('error' => $message, 'result' => array('errors' => array($message))));
        }
        if ($json[0] !== '{') {
            throw new CPANEL_ProtocolException(
                'Malformed reply from the cPanel engine: the content of <cpanelresult> is not a JSON object '
                . '(legacy XML replies are not supported).'
            );
        }
        $decoded = json_decode($json, true);
        if (json_last_error() !== JSON_ERROR_NONE || !is_array($decoded)) {
            throw new CPANEL_ProtocolException(sprintf(
                'Malformed reply from the cPanel engine: invalid JSON in a %d-byte reply: %s.',
                strlen($json),
                json_last_error_msg()
            ), json_last_error());
        }
        if (array_key_first($decoded) === 'cpanelresult') {
            return $decoded;
        }
        return array('cpanelresult' => $decoded);
    }

    /**
     * The engine's text if a frame ends the session ("session":"closed" in
     * its top-level JSON object), else null.
     *
     * Whatever else the frame holds is left to decodeFrame().
     *
     * @param string $frame Bytes of one reply frame
     *
     * @return string|null The error text (or a generic one when it has none)
     */
    private static function closingText($frame)
    {
        $open = strpos($frame, '<cpanelresult>');
        $close = strpos($frame, '</cpanelresult>');
        if ($open === false || $close === false || $close < $open) {
            return null;
        }
        $json = trim(substr($frame, $open + 14, $close - $open - 14));
        $reply = json_decode($json, true);
        if (!is_array($reply) || !isset($reply['session']) || $reply['session'] !== 'closed') {
            return null;
        }
        foreach (array(isset($reply['error']) ? $reply['error'] : null, isset($reply['data']['reason']) ? $reply['data']['reason'] : null) as $text) {
            if (is_string($text) && $text !== '') {
                return $text;
            }
        }
        return 'The cPanel engine closed the session.';
    }

    /**
     * Return ['cpanelresult']['data']['result'] of a reply.
     *
     * @param array  $reply  The reply
     * @param string $method Caller name for the error message
     *
     * @return mixed The value
     * @throws UnexpectedValueException if the reply has no such value
     */
    private static function simpleResult(array $reply, $method)
    {
        if (isset($reply['cpanelresult']['data'])
            && is_array($reply['cpanelresult']['data'])
            && array_key_exists('result', $reply['cpanelresult']['data'])
        ) {
            return $reply['cpanelresult']['data']['result'];
        }
        throw new UnexpectedValueException(
            'CPANEL::' . $method . ': the reply has no cpanelresult.data.result'
            . self::describeFailure(isset($reply['cpanelresult']) ? $reply['cpanelresult'] : null)
        );
    }

    /**
     * Describe the error a reply reports, for exception messages.
     *
     * @param mixed $result The cpanelresult member of a reply
     *
     * @return string Empty, or ': ' followed by the engine's error text
     */
    private static function describeFailure($result)
    {
        if (!is_array($result)) {
            return '';
        }
        $texts = array();
        if (isset($result['result']['errors']) && is_array($result['result']['errors'])) {
            $texts = $result['result']['errors'];
        } elseif (isset($result['error']) && is_string($result['error'])) {
            $texts[] = $result['error'];
        } elseif (isset($result['event']['reason']) && is_string($result['event']['reason'])) {
            $texts[] = $result['event']['reason'];
        }
        $texts = array_filter($texts, 'is_scalar');
        return $texts ? ': ' . implode(' ', $texts) : '';
    }

    /**
     * Hide the values of JSON members whose name contains "pass", "secret" or "token" (for the debug log).
     *
     * Applied to requests and replies alike (an engine may echo arguments).
     * Positional API1 arguments have no names and cannot be recognised.
     *
     * @param string $text Request payload or reply frame
     *
     * @return string The payload with such values replaced by "[redacted]"
     */
    private static function redactSecrets($text)
    {
        $redacted = preg_replace(
            '/("[^"\\\\]*(?:pass|secret|token)[^"\\\\]*"\s*:\s*)(?:"(?:[^"\\\\]|\\\\.)*"|\[[^\]]*\]|\{[^}]*\}|[^,}\]\s]+)/i',
            '$1"[redacted]"',
            $text
        );
        return $redacted === null ? '[request not logged: cannot redact it]' : $redacted;
    }

    /**
     * Run an I/O function with warnings captured instead of printed.
     *
     * @param callable    $operation The function
     * @param string|null $error     Receives the warning text, if any
     *
     * @return mixed What the function returned
     */
    private static function quietly(callable $operation, &$error)
    {
        $error = null;
        set_error_handler(function ($severity, $message) use (&$error) {
            $error = $message;
            return true;
        });
        try {
            return $operation();
        } finally {
            restore_error_handler();
        }
    }

    /**
     * Extract the errno from a PHP stream warning ("... errno=32 Broken pipe", "[4]: ...").
     *
     * @param string|null $warning  Warning text
     * @param int         $fallback Code when the text has none
     *
     * @return int The errno
     */
    private static function errnoOf($warning, $fallback)
    {
        if ($warning !== null && preg_match('/errno=(\d+)|\[(\d+)\]/', $warning, $m)) {
            return (int) ($m[1] !== '' ? $m[1] : $m[2]);
        }
        return $fallback;
    }

    /**
     * Turn a PHP warning into the reason part of an exception message.
     *
     * @param string|null $warning  Warning text
     * @param string      $fallback Text when there is no warning
     *
     * @return string The reason, without the "function(): " prefix
     */
    private static function describeError($warning, $fallback)
    {
        if ($warning === null || $warning === '') {
            return $fallback;
        }
        return (string) preg_replace('/^\w+\(\): /', '', $warning);
    }

    /**
     * Render a value safely for an exception message (no control bytes, bounded length).
     *
     * @param mixed $value The value
     *
     * @return string Printable text
     */
    private static function printable($value)
    {
        $text = is_scalar($value) ? (string) $value : gettype($value);
        if (strlen($text) > 120) {
            $text = substr($text, 0, 117) . '...';
        }
        return (string) preg_replace_callback('/[^\x20-\x7e]/', function ($m) {
            return sprintf('\\x%02x', ord($m[0]));
        }, $text);
    }

    /**
     * Home directory of the effective user, for the default debug log.
     *
     * @return string The directory
     */
    private static function homeDirectory()
    {
        if (function_exists('posix_getpwuid') && function_exists('posix_geteuid')) {
            $entry = posix_getpwuid(posix_geteuid());
            if (is_array($entry) && !empty($entry['dir'])) {
                return $entry['dir'];
            }
        }
        $home = getenv('HOME');
        return is_string($home) && $home !== '' ? $home : sys_get_temp_dir();
    }
}

if (!function_exists('simple_result')) {
    /**
     * Return ['cpanelresult']['data']['result'] of a reply (as the official file).
     *
     * @param array $result_data A reply returned by a CPANEL method
     *
     * @return mixed The value, or null when the reply has none
     */
    function simple_result($result_data)
    {
        return isset($result_data['cpanelresult']['data']['result'])
            ? $result_data['cpanelresult']['data']['result']
            : null;
    }
}
