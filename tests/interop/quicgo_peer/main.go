// Command quicgo_peer is the quic-go side of braid's interoperability tests.
//
// It is built in GOPATH mode against Debian's golang-github-lucas-clemente-quic-go-dev
// (quic-go 0.29) by tests/interop/build_peer.sh, so it needs no network access.
//
//	quicgo_peer server -listen 127.0.0.1:0 -root DIR [-datagrams] [-retry] [-close-code N]
//	quicgo_peer client -url https://127.0.0.1:PORT/file [-url ...] [-insecure] [-out DIR]
//	                   [-datagram MSG] [-keyupdate]
//
// The server prints "listening on ADDR" once it is ready. The client prints one line per
// URL ("OK url=... bytes=N sha256=HEX"), "DATAGRAM OK ..." for an echoed datagram and exits
// 0; on failure it prints "CLOSED app_error=N ...", "CLOSED transport_error=N ..." or
// "ERROR ..." and exits non-zero. Diagnostics go to stderr.
package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"
	_ "unsafe" // for go:linkname

	quic "github.com/lucas-clemente/quic-go"
	"github.com/lucas-clemente/quic-go/logging"
	"github.com/lucas-clemente/quic-go/qlog"
)

// quic-go has no public knob for the key-update interval: it is a package variable in
// internal/handshake (its own interop client sets it to 100 for the "keyupdate" test
// case). Go's internal-package rule forbids importing it from here, so the variable is
// reached by its linker symbol. It is read when a connection's 1-RTT keys are created, so
// it must be set before dialing or listening.
//
//go:linkname quicGoKeyUpdateInterval github.com/lucas-clemente/quic-go/internal/handshake.KeyUpdateInterval
var quicGoKeyUpdateInterval uint64

// Exit codes of the client.
const (
	exitOK             = 0
	exitError          = 1
	exitAppClose       = 2
	exitTransportClose = 3
	exitTimeout        = 4
	exitUsage          = 64
)

type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*s = append(*s, part)
		}
	}
	return nil
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: quicgo_peer server|client [flags]")
		os.Exit(exitUsage)
	}
	switch os.Args[1] {
	case "server":
		os.Exit(runServer(os.Args[2:]))
	case "client":
		os.Exit(runClient(os.Args[2:]))
	default:
		fmt.Fprintf(os.Stderr, "unknown mode %q (want server or client)\n", os.Args[1])
		os.Exit(exitUsage)
	}
}

// qlogTracer writes one qlog file per connection into dir, or returns nil if dir is empty.
func qlogTracer(dir string) logging.Tracer {
	if dir == "" {
		return nil
	}
	return qlog.NewTracer(func(p logging.Perspective, connID []byte) io.WriteCloser {
		role := "server"
		if p == logging.PerspectiveClient {
			role = "client"
		}
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%s_%x.qlog", role, connID)))
		if err != nil {
			fmt.Fprintln(os.Stderr, "qlog:", err)
			return nopWriteCloser{io.Discard}
		}
		return f
	})
}

type nopWriteCloser struct{ io.Writer }

// statsTracer counts the events the interop tests assert on: Retry packets sent (server)
// or received (client) and key updates initiated by either side.
type statsTracer struct {
	logging.NullTracer
	mu          sync.Mutex
	retriesSent int
	conns       map[uint64]*connStats // by quic.ConnectionTracingKey
}

type connStats struct {
	logging.NullConnectionTracer
	mu               sync.Mutex
	retriesReceived  int
	keyUpdatesLocal  int
	keyUpdatesRemote int
}

func newStatsTracer() *statsTracer {
	return &statsTracer{conns: map[uint64]*connStats{}}
}

func (t *statsTracer) TracerForConnection(ctx context.Context, _ logging.Perspective, _ logging.ConnectionID) logging.ConnectionTracer {
	cs := &connStats{}
	id, _ := ctx.Value(quic.ConnectionTracingKey).(uint64)
	t.mu.Lock()
	t.conns[id] = cs
	t.mu.Unlock()
	return cs
}

// of returns the stats of conn.
func (t *statsTracer) of(conn quic.Connection) *connStats {
	id, _ := conn.Context().Value(quic.ConnectionTracingKey).(uint64)
	t.mu.Lock()
	defer t.mu.Unlock()
	if cs, ok := t.conns[id]; ok {
		return cs
	}
	return &connStats{}
}

func (t *statsTracer) SentPacket(remote net.Addr, hdr *logging.Header, _ logging.ByteCount, _ []logging.Frame) {
	if logging.PacketTypeFromHeader(hdr) == logging.PacketTypeRetry {
		t.mu.Lock()
		t.retriesSent++
		t.mu.Unlock()
		fmt.Fprintf(os.Stderr, "sent Retry to %s\n", remote)
	}
}

func (c *connStats) ReceivedRetry(*logging.Header) {
	c.mu.Lock()
	c.retriesReceived++
	c.mu.Unlock()
}

func (c *connStats) UpdatedKey(_ logging.KeyPhase, remote bool) {
	c.mu.Lock()
	if remote {
		c.keyUpdatesRemote++
	} else {
		c.keyUpdatesLocal++
	}
	c.mu.Unlock()
}

func (c *connStats) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return fmt.Sprintf("retries_received=%d key_updates_local=%d key_updates_remote=%d",
		c.retriesReceived, c.keyUpdatesLocal, c.keyUpdatesRemote)
}

// tracer combines the stats tracer with an optional qlog tracer.
func tracer(stats *statsTracer, qlogDir string) logging.Tracer {
	if q := qlogTracer(qlogDir); q != nil {
		return logging.NewMultiplexedTracer(stats, q)
	}
	return stats
}

func (nopWriteCloser) Close() error { return nil }

func setKeyUpdateInterval(enabled bool, packets uint64) {
	if packets > 0 {
		quicGoKeyUpdateInterval = packets
	} else if enabled {
		quicGoKeyUpdateInterval = 100
	}
	if enabled || packets > 0 {
		fmt.Fprintf(os.Stderr, "quic-go key update interval: %d packets\n", quicGoKeyUpdateInterval)
	}
}

// ---------------------------------------------------------------------------- server

func selfSignedCert() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "localhost"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

type serverOptions struct {
	root      string
	datagrams bool
	closeCode int64
}

func runServer(args []string) int {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "UDP address to listen on")
	root := fs.String("root", ".", "directory served for GET /path")
	alpn := fs.String("alpn", "hq-interop", "ALPN protocol")
	datagrams := fs.Bool("datagrams", false, "enable RFC 9221 datagrams and echo every one received")
	retry := fs.Bool("retry", false, "require address validation: answer every Initial with a Retry")
	closeCode := fs.Int64("close-code", -1, "on the first request, close the connection with this application error code instead of answering")
	keyUpdate := fs.Bool("keyupdate", false, "initiate key updates every 100 packets")
	keyUpdateInterval := fs.Uint64("keyupdate-interval", 0, "initiate key updates every N packets")
	qlogDir := fs.String("qlog", "", "write qlog files into this directory")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	setKeyUpdateInterval(*keyUpdate, *keyUpdateInterval)

	cert, err := selfSignedCert()
	if err != nil {
		fmt.Fprintln(os.Stderr, "certificate:", err)
		return exitError
	}
	tlsConf := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{*alpn}}
	stats := newStatsTracer()
	conf := &quic.Config{
		EnableDatagrams: *datagrams,
		MaxIdleTimeout:  30 * time.Second,
		Tracer:          tracer(stats, *qlogDir),
	}
	if *retry {
		conf.RequireAddressValidation = func(net.Addr) bool { return true }
	}
	ln, err := quic.ListenAddr(*listen, tlsConf, conf)
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		return exitError
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	os.Stdout.Sync()

	opts := serverOptions{root: *root, datagrams: *datagrams, closeCode: *closeCode}
	for {
		conn, err := ln.Accept(context.Background())
		if err != nil {
			fmt.Fprintln(os.Stderr, "accept:", err)
			return exitError
		}
		fmt.Fprintf(os.Stderr, "accepted connection from %s alpn=%s\n",
			conn.RemoteAddr(), conn.ConnectionState().TLS.NegotiatedProtocol)
		go serveConn(conn, opts, stats)
	}
}

func serveConn(conn quic.Connection, opts serverOptions, stats *statsTracer) {
	if opts.datagrams {
		go func() {
			for {
				msg, err := conn.ReceiveMessage()
				if err != nil {
					return
				}
				fmt.Fprintf(os.Stderr, "datagram %q echoed\n", msg)
				if err := conn.SendMessage(msg); err != nil {
					fmt.Fprintln(os.Stderr, "datagram echo:", err)
				}
			}
		}()
	}
	var closeOnce sync.Once
	for {
		stream, err := conn.AcceptStream(context.Background())
		if err != nil {
			fmt.Fprintf(os.Stderr, "connection from %s ended: %v\n", conn.RemoteAddr(), err)
			fmt.Fprintf(os.Stderr, "connection stats: %s\n", stats.of(conn))
			return
		}
		go func() {
			reqPath, err := readRequest(stream)
			if err != nil {
				fmt.Fprintln(os.Stderr, "request:", err)
				stream.CancelWrite(1)
				return
			}
			if opts.closeCode >= 0 {
				closeOnce.Do(func() {
					fmt.Fprintf(os.Stderr, "GET %s: closing connection with application error %d\n", reqPath, opts.closeCode)
					conn.CloseWithError(quic.ApplicationErrorCode(opts.closeCode), "closed by test")
				})
				return
			}
			serveFile(stream, opts.root, reqPath)
		}()
	}
}

// readRequest reads an hq-interop request line ("GET /path\r\n").
func readRequest(stream quic.Stream) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(stream, 8192)).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if !strings.HasPrefix(line, "GET ") {
		return "", fmt.Errorf("malformed request line %q", line)
	}
	return strings.TrimSpace(line[4:]), nil
}

func serveFile(stream quic.Stream, root, reqPath string) {
	clean := path.Clean("/" + reqPath)
	f, err := os.Open(filepath.Join(root, filepath.FromSlash(clean)))
	if err != nil {
		fmt.Fprintf(os.Stderr, "GET %s: %v\n", reqPath, err)
		stream.CancelWrite(0x10) // H3_REQUEST_REJECTED-like: no such file
		return
	}
	defer f.Close()
	n, err := io.Copy(stream, f)
	if err != nil {
		fmt.Fprintf(os.Stderr, "GET %s: sent %d bytes, then %v\n", reqPath, n, err)
		return
	}
	stream.Close()
	fmt.Fprintf(os.Stderr, "GET %s: %d bytes\n", reqPath, n)
}

// ---------------------------------------------------------------------------- client

type result struct {
	url    string
	bytes  int64
	sha256 string
	err    error
}

func runClient(args []string) int {
	fs := flag.NewFlagSet("client", flag.ContinueOnError)
	var urls stringList
	fs.Var(&urls, "url", "URL to download (repeatable or comma-separated; all on one connection, in parallel)")
	addr := fs.String("addr", "", "server address host:port (defaults to the URLs' host)")
	insecure := fs.Bool("insecure", false, "skip certificate verification")
	alpn := fs.String("alpn", "hq-interop", "ALPN protocol")
	outDir := fs.String("out", "", "write each downloaded file into this directory")
	datagram := fs.String("datagram", "", "send this datagram after the downloads and wait for its echo")
	keyUpdate := fs.Bool("keyupdate", false, "initiate key updates every 100 packets")
	keyUpdateInterval := fs.Uint64("keyupdate-interval", 0, "initiate key updates every N packets")
	timeout := fs.Duration("timeout", 60*time.Second, "give up after this long")
	qlogDir := fs.String("qlog", "", "write qlog files into this directory")
	cidLen := fs.Int("cid-len", 0, "length of the client's connection IDs, 4-18 (default: quic-go's choice, zero-length)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	urls = append(urls, fs.Args()...)
	if len(urls) == 0 && *addr == "" {
		fmt.Fprintln(os.Stderr, "client: need at least one -url or -addr")
		return exitUsage
	}
	setKeyUpdateInterval(*keyUpdate, *keyUpdateInterval)

	target := *addr
	var paths []string
	for _, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			fmt.Fprintf(os.Stderr, "client: bad URL %q\n", raw)
			return exitUsage
		}
		if target == "" {
			target = u.Host
		} else if *addr == "" && u.Host != target {
			fmt.Fprintf(os.Stderr, "client: all URLs must name the same server (%s vs %s)\n", u.Host, target)
			return exitUsage
		}
		p := u.EscapedPath()
		if p == "" {
			p = "/"
		}
		paths = append(paths, p)
	}

	time.AfterFunc(*timeout, func() {
		fmt.Printf("ERROR timeout after %s\n", *timeout)
		os.Exit(exitTimeout)
	})

	host, _, _ := net.SplitHostPort(target)
	tlsConf := &tls.Config{
		InsecureSkipVerify: *insecure,
		NextProtos:         []string{*alpn},
		ServerName:         host,
	}
	stats := newStatsTracer()
	conf := &quic.Config{
		EnableDatagrams:      *datagram != "",
		HandshakeIdleTimeout: 10 * time.Second,
		MaxIdleTimeout:       30 * time.Second,
		Tracer:               tracer(stats, *qlogDir),
		// quic-go clients that own their socket use zero-length connection IDs unless told
		// otherwise; both variants are worth testing against a server.
		ConnectionIDLength: *cidLen,
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	conn, err := quic.DialAddrContext(ctx, target, tlsConf, conf)
	if err != nil {
		return reportError("handshake", err)
	}
	state := conn.ConnectionState()
	fmt.Printf("HANDSHAKE OK alpn=%s datagrams=%t\n", state.TLS.NegotiatedProtocol, state.SupportsDatagrams)

	results := make([]result, len(paths))
	var wg sync.WaitGroup
	for i, p := range paths {
		wg.Add(1)
		go func(i int, p string) {
			defer wg.Done()
			results[i] = download(ctx, conn, p, *outDir)
			results[i].url = urls[i]
		}(i, p)
	}
	wg.Wait()
	for _, r := range results {
		if r.err != nil {
			return reportError("GET "+r.url, r.err)
		}
		fmt.Printf("OK url=%s bytes=%d sha256=%s\n", r.url, r.bytes, r.sha256)
	}

	if *datagram != "" {
		if !conn.ConnectionState().SupportsDatagrams {
			fmt.Println("ERROR peer did not enable datagrams (max_datagram_frame_size missing)")
			conn.CloseWithError(0, "")
			return exitError
		}
		if code := echoDatagram(conn, []byte(*datagram)); code != exitOK {
			return code
		}
	}
	fmt.Printf("STATS %s\n", stats.of(conn))
	conn.CloseWithError(0, "")
	return exitOK
}

// echoDatagram sends msg and waits for the same bytes to come back, resending a few times
// because datagrams are unreliable.
func echoDatagram(conn quic.Connection, msg []byte) int {
	got := make(chan []byte, 1)
	errc := make(chan error, 1)
	go func() {
		for {
			m, err := conn.ReceiveMessage()
			if err != nil {
				errc <- err
				return
			}
			if string(m) == string(msg) {
				got <- m
				return
			}
			fmt.Fprintf(os.Stderr, "unexpected datagram %q\n", m)
		}
	}()
	for attempt := 0; attempt < 10; attempt++ {
		if err := conn.SendMessage(msg); err != nil {
			return reportError("datagram send", err)
		}
		select {
		case m := <-got:
			fmt.Printf("DATAGRAM OK echo=%s\n", m)
			return exitOK
		case err := <-errc:
			return reportError("datagram receive", err)
		case <-time.After(500 * time.Millisecond):
		}
	}
	fmt.Println("ERROR datagram not echoed")
	return exitError
}

func download(ctx context.Context, conn quic.Connection, reqPath, outDir string) result {
	stream, err := conn.OpenStreamSync(ctx)
	if err != nil {
		return result{err: err}
	}
	if _, err := stream.Write([]byte("GET " + reqPath + "\r\n")); err != nil {
		return result{err: err}
	}
	if err := stream.Close(); err != nil { // FIN: the request is complete
		return result{err: err}
	}
	h := sha256.New()
	var w io.Writer = h
	if outDir != "" {
		name := path.Base(reqPath)
		if name == "/" || name == "." {
			name = "index"
		}
		f, err := os.Create(filepath.Join(outDir, name))
		if err != nil {
			return result{err: err}
		}
		defer f.Close()
		w = io.MultiWriter(h, f)
	}
	n, err := io.Copy(w, stream)
	if err != nil {
		return result{bytes: n, err: err}
	}
	return result{bytes: n, sha256: hex.EncodeToString(h.Sum(nil))}
}

// reportError prints the outcome line for a failed client run and returns its exit code.
func reportError(what string, err error) int {
	var appErr *quic.ApplicationError
	var transErr *quic.TransportError
	var streamErr *quic.StreamError
	var idleErr *quic.IdleTimeoutError
	var hsErr *quic.HandshakeTimeoutError
	switch {
	case errors.As(err, &appErr):
		fmt.Printf("CLOSED app_error=%d remote=%t reason=%q during=%q\n",
			uint64(appErr.ErrorCode), appErr.Remote, appErr.ErrorMessage, what)
		return exitAppClose
	case errors.As(err, &transErr):
		fmt.Printf("CLOSED transport_error=%d (%s) remote=%t frame_type=%#x reason=%q during=%q\n",
			uint64(transErr.ErrorCode), transErr.ErrorCode.String(), transErr.Remote,
			transErr.FrameType, transErr.ErrorMessage, what)
		return exitTransportClose
	case errors.As(err, &streamErr):
		fmt.Printf("ERROR stream_reset=%d during=%q\n", uint64(streamErr.ErrorCode), what)
		return exitError
	case errors.As(err, &idleErr), errors.As(err, &hsErr):
		fmt.Printf("ERROR timeout (%v) during=%q\n", err, what)
		return exitTimeout
	default:
		fmt.Printf("ERROR %v during=%q\n", err, what)
		return exitError
	}
}
