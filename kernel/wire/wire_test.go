package wire

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
)

func TestSignVerifyRoundTrip(t *testing.T) {
	s, err := NewSigner("hmac-sha256", "secret")
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMessage("sess", "execute_request", map[string]any{"code": "fmt.Println(1)"})
	if err != nil {
		t.Fatal(err)
	}
	m.Parent = Header{MsgID: "parent", MsgType: "x"}
	m.Buffers = [][]byte{[]byte("buf")}
	tests := []struct {
		name       string
		identities [][]byte
	}{
		{"no identities", nil},
		{"one identity", [][]byte{[]byte("id1")}},
		{"two identities", [][]byte{[]byte("id1"), []byte("id2")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m.Identities = tc.identities
			frames, err := s.Encode(m)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(frames[len(tc.identities)]); got != Delimiter {
				t.Fatalf("frame %d = %q, want the delimiter", len(tc.identities), got)
			}
			if sig := string(frames[len(tc.identities)+1]); len(sig) != 64 {
				t.Fatalf("signature %q is not hex sha256", sig)
			}
			got, err := s.Decode(frames)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Identities) != len(tc.identities) {
				t.Errorf("identities = %q", got.Identities)
			}
			if got.Header != m.Header || got.Parent != m.Parent {
				t.Errorf("headers differ: %+v %+v", got.Header, got.Parent)
			}
			var c struct{ Code string }
			if err := got.Decode(&c); err != nil || c.Code != "fmt.Println(1)" {
				t.Errorf("content = %q, %v", got.Content, err)
			}
			if len(got.Buffers) != 1 || string(got.Buffers[0]) != "buf" {
				t.Errorf("buffers = %q", got.Buffers)
			}
		})
	}
}

func TestBadMessages(t *testing.T) {
	s, _ := NewSigner("hmac-sha256", "secret")
	other, _ := NewSigner("hmac-sha256", "other key")
	m, _ := NewMessage("sess", "status", map[string]any{"execution_state": "idle"})
	good, _ := s.Encode(m)
	tamper := func(i int, v string) [][]byte {
		f := append([][]byte(nil), good...)
		f[i] = []byte(v)
		return f
	}
	wrongKey, _ := other.Encode(m)
	tests := []struct {
		name   string
		frames [][]byte
		badSig bool
	}{
		{"wrong key", wrongKey, true},
		{"content changed", tamper(5, `{"execution_state":"busy"}`), true},
		{"header changed", tamper(2, `{"msg_id":"x"}`), true},
		{"signature garbage", tamper(1, "zz"), true},
		{"no delimiter", [][]byte{[]byte("a"), []byte("b")}, false},
		{"too few frames", good[:4], false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Decode(tc.frames)
			if err == nil {
				t.Fatal("Decode accepted a bad message")
			}
			if tc.badSig != errors.Is(err, ErrBadSignature) {
				t.Errorf("err = %v", err)
			}
		})
	}
	if _, err := NewSigner("hmac-md5", "k"); err == nil {
		t.Error("unsupported scheme accepted")
	}
}

func TestConnectionFile(t *testing.T) {
	c, err := NewConnectionInfo()
	if err != nil {
		t.Fatal(err)
	}
	ports := map[int]bool{}
	for _, p := range []int{c.ShellPort, c.IOPubPort, c.StdinPort, c.ControlPort, c.HBPort} {
		if p <= 0 || ports[p] {
			t.Errorf("bad or duplicate port %d", p)
		}
		ports[p] = true
	}
	if len(c.Key) != 64 || c.SignatureScheme != "hmac-sha256" || c.IP != "127.0.0.1" || c.Transport != "tcp" {
		t.Errorf("connection info = %+v", c)
	}
	path := filepath.Join(t.TempDir(), "conn.json")
	if err := c.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("connection file mode %v, want 0600", fi.Mode().Perm())
	}
	var raw map[string]any
	data, _ := os.ReadFile(path)
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"shell_port", "iopub_port", "stdin_port", "control_port", "hb_port", "key", "signature_scheme", "transport", "ip"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("connection file lacks %q", k)
		}
	}
	back, err := ReadConnectionFile(path)
	if err != nil || *back != *c {
		t.Errorf("read back %+v, %v", back, err)
	}
}

// fakeKernel is a minimal in-process kernel: ROUTER shell and control, PUB iopub, ROUTER stdin,
// REP heartbeat. It answers kernel_info_request and execute_request, publishing a stream output,
// and sends one message with a bad signature on iopub first.
func fakeKernel(t *testing.T, ctx context.Context, info *ConnectionInfo) {
	s, _ := NewSigner(info.SignatureScheme, info.Key)
	bad, _ := NewSigner(info.SignatureScheme, "wrong")
	shell := zmq4.NewRouter(ctx, zmq4.WithLogger(quietLogger))
	iopub := zmq4.NewPub(ctx, zmq4.WithLogger(quietLogger))
	stdin := zmq4.NewRouter(ctx, zmq4.WithLogger(quietLogger))
	control := zmq4.NewRouter(ctx, zmq4.WithLogger(quietLogger))
	hb := zmq4.NewRep(ctx, zmq4.WithLogger(quietLogger))
	for _, l := range []struct {
		s    zmq4.Socket
		port int
	}{{shell, info.ShellPort}, {iopub, info.IOPubPort}, {stdin, info.StdinPort}, {control, info.ControlPort}, {hb, info.HBPort}} {
		if err := l.s.Listen(info.Endpoint(l.port)); err != nil {
			t.Fatalf("fake kernel listen: %v", err)
		}
	}
	t.Cleanup(func() {
		for _, s := range []zmq4.Socket{shell, iopub, stdin, control, hb} {
			s.Close()
		}
	})
	go func() {
		for {
			m, err := hb.Recv()
			if err != nil {
				return
			}
			_ = hb.Send(m)
		}
	}()
	send := func(sock zmq4.Socket, signer *Signer, ids [][]byte, parent Header, typ string, content any) {
		m, _ := NewMessage("kernel", typ, content)
		m.Identities, m.Parent = ids, parent
		frames, _ := signer.Encode(m)
		_ = sock.SendMulti(zmq4.NewMsgFrom(frames...))
	}
	go func() {
		for {
			zm, err := shell.Recv()
			if err != nil {
				return
			}
			req, err := s.Decode(zm.Frames)
			if err != nil {
				continue // a real kernel ignores badly signed requests too
			}
			switch req.Header.MsgType {
			case "kernel_info_request":
				send(shell, s, req.Identities, req.Header, "kernel_info_reply", map[string]any{"status": "ok", "protocol_version": ProtocolVersion})
			case "execute_request":
				var c struct{ Code string }
				_ = req.Decode(&c)
				topic := [][]byte{[]byte("kernel.stream")}
				send(iopub, bad, topic, req.Header, "stream", map[string]any{"name": "stdout", "text": "FORGED"})
				send(iopub, s, topic, req.Header, "stream", map[string]any{"name": "stdout", "text": c.Code})
				send(shell, s, req.Identities, req.Header, "execute_reply", map[string]any{"status": "ok", "execution_count": 1})
			}
		}
	}()
}

func TestClientAgainstFakeKernel(t *testing.T) {
	info, err := NewConnectionInfo()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// Dial before the kernel listens: Dial must retry.
	type dialed struct {
		c   *Client
		err error
	}
	ch := make(chan dialed, 1)
	go func() { c, err := Dial(ctx, info); ch <- dialed{c, err} }()
	time.Sleep(300 * time.Millisecond)
	fakeKernel(t, ctx, info)
	d := <-ch
	if d.err != nil {
		t.Fatal(d.err)
	}
	c := d.c
	defer c.Close()

	if err := c.Ping(5 * time.Second); err != nil {
		t.Errorf("heartbeat: %v", err)
	}
	// The SUB socket may need a moment for its subscription to reach the publisher.
	var req *Message
	var got []string
	for attempt := 0; attempt < 20 && len(got) == 0; attempt++ {
		req, err = c.Request(Shell, "execute_request", map[string]any{"code": "hello"})
		if err != nil {
			t.Fatal(err)
		}
		select {
		case r := <-c.ShellReplies():
			if r.Header.MsgType != "execute_reply" || r.Parent.MsgID != req.Header.MsgID {
				t.Fatalf("unexpected reply %+v", r.Header)
			}
		case <-ctx.Done():
			t.Fatal("no execute_reply")
		}
		timeout := time.After(300 * time.Millisecond)
	drain:
		for {
			select {
			case m := <-c.IOPub():
				var s struct{ Text string }
				_ = m.Decode(&s)
				got = append(got, s.Text)
			case <-timeout:
				break drain
			}
		}
	}
	if len(got) == 0 || got[0] != "hello" {
		t.Errorf("iopub messages = %q, want only the signed \"hello\"", got)
	}
	for _, g := range got {
		if g == "FORGED" {
			t.Error("a message with a bad signature was delivered")
		}
	}
	if c.BadSignatures() == 0 {
		t.Error("bad signature not counted")
	}
	if !bytes.Equal([]byte(req.Header.Version), []byte(ProtocolVersion)) {
		t.Errorf("header version = %q", req.Header.Version)
	}
}

func TestDialTimeout(t *testing.T) {
	info, _ := NewConnectionInfo()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if _, err := Dial(ctx, info); err == nil {
		t.Fatal("Dial succeeded with no kernel")
	}
}
