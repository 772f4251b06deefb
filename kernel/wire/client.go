package wire

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zeromq/zmq4"
)

// Channel names a kernel socket a [Client] can send on.
type Channel string

// The channels a client sends requests on.
const (
	Shell   Channel = "shell"
	Control Channel = "control"
	Stdin   Channel = "stdin"
)

// SendTimeout bounds how long [Client.Send] waits for ZeroMQ to accept a message.
var SendTimeout = 10 * time.Second

// Client is a connection to the five channels of one kernel. Received messages with a valid
// signature are delivered on [Client.IOPub], [Client.ShellReplies] and [Client.ControlReplies];
// the consumer must keep draining them. Stdin requests are answered automatically.
type Client struct {
	// Session is the session id put in the header of every message sent.
	Session string

	signer                           *Signer
	shell, control, stdin, iopub, hb zmq4.Socket
	iopubCh, shellCh, controlCh      chan *Message
	bad                              atomic.Int64
	cancel                           context.CancelFunc
	wg                               sync.WaitGroup
	closeOnce                        sync.Once
	hbMu                             sync.Mutex
}

var quietLogger = log.New(io.Discard, "", 0)

// Dial connects to the kernel described by info, retrying every 100 ms until every socket is
// connected or ctx is done (kernels bind their ports a moment after they start).
func Dial(ctx context.Context, info *ConnectionInfo) (*Client, error) {
	signer, err := NewSigner(info.SignatureScheme, info.Key)
	if err != nil {
		return nil, err
	}
	sctx, cancel := context.WithCancel(context.Background())
	opts := []zmq4.Option{zmq4.WithLogger(quietLogger), zmq4.WithDialerMaxRetries(0)}
	c := &Client{
		Session:   NewID(),
		signer:    signer,
		shell:     zmq4.NewDealer(sctx, opts...),
		control:   zmq4.NewDealer(sctx, opts...),
		stdin:     zmq4.NewDealer(sctx, opts...),
		iopub:     zmq4.NewSub(sctx, opts...),
		hb:        zmq4.NewReq(sctx, opts...),
		iopubCh:   make(chan *Message, 1024),
		shellCh:   make(chan *Message, 64),
		controlCh: make(chan *Message, 64),
		cancel:    cancel,
	}
	if err := c.iopub.SetOption(zmq4.OptionSubscribe, ""); err != nil {
		c.Close()
		return nil, fmt.Errorf("wire: subscribing to iopub: %w", err)
	}
	socks := []struct {
		name string
		s    zmq4.Socket
		port int
	}{
		{"iopub", c.iopub, info.IOPubPort},
		{"shell", c.shell, info.ShellPort},
		{"control", c.control, info.ControlPort},
		{"stdin", c.stdin, info.StdinPort},
		{"hb", c.hb, info.HBPort},
	}
	for _, s := range socks {
		ep := info.Endpoint(s.port)
		for {
			err := s.s.Dial(ep)
			if err == nil {
				break
			}
			select {
			case <-ctx.Done():
				c.Close()
				return nil, fmt.Errorf("wire: connecting %s socket to %s: %w (last error: %v)", s.name, ep, ctx.Err(), err)
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	c.receive(c.iopub, c.iopubCh, nil)
	c.receive(c.shell, c.shellCh, nil)
	c.receive(c.control, c.controlCh, nil)
	c.receive(c.stdin, nil, c.answerStdin)
	return c, nil
}

// receive starts a goroutine reading messages from s, delivering them to ch (or handing them to
// fn); ch is closed when the socket is closed.
func (c *Client) receive(s zmq4.Socket, ch chan *Message, fn func(*Message)) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		if ch != nil {
			defer close(ch)
		}
		for {
			zm, err := s.Recv()
			if err != nil {
				return
			}
			m, err := c.signer.Decode(zm.Frames)
			if err != nil {
				c.bad.Add(1)
				continue
			}
			if fn != nil {
				fn(m)
				continue
			}
			ch <- m
		}
	}()
}

// answerStdin replies to input_request with an empty input_reply: headless runs have no stdin.
func (c *Client) answerStdin(m *Message) {
	if m.Header.MsgType != "input_request" {
		return
	}
	reply, err := NewMessage(c.Session, "input_reply", map[string]any{"value": ""})
	if err != nil {
		return
	}
	reply.Parent = m.Header
	reply.Identities = m.Identities
	_ = c.Send(Stdin, reply)
}

// IOPub returns the channel of messages published by the kernel; it is closed by [Client.Close].
func (c *Client) IOPub() <-chan *Message { return c.iopubCh }

// ShellReplies returns the channel of replies on the shell socket.
func (c *Client) ShellReplies() <-chan *Message { return c.shellCh }

// ControlReplies returns the channel of replies on the control socket.
func (c *Client) ControlReplies() <-chan *Message { return c.controlCh }

// BadSignatures returns how many received messages were dropped for a bad signature or framing.
func (c *Client) BadSignatures() int64 { return c.bad.Load() }

// Send signs m and sends it on channel ch. It fails after [SendTimeout] if ZeroMQ cannot take
// the message (e.g. the kernel is gone).
func (c *Client) Send(ch Channel, m *Message) error {
	var s zmq4.Socket
	switch ch {
	case Shell:
		s = c.shell
	case Control:
		s = c.control
	case Stdin:
		s = c.stdin
	default:
		return fmt.Errorf("wire: unknown channel %q", ch)
	}
	frames, err := c.signer.Encode(m)
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- s.SendMulti(zmq4.NewMsgFrom(frames...)) }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("wire: sending %s on %s: %w", m.Header.MsgType, ch, err)
		}
		return nil
	case <-time.After(SendTimeout):
		return fmt.Errorf("wire: sending %s on %s: timed out after %s", m.Header.MsgType, ch, SendTimeout)
	}
}

// Request builds a message of msgType with content in this client's session, sends it on ch and
// returns it (its Header.MsgID identifies the replies).
func (c *Client) Request(ch Channel, msgType string, content any) (*Message, error) {
	m, err := NewMessage(c.Session, msgType, content)
	if err != nil {
		return nil, err
	}
	return m, c.Send(ch, m)
}

// Ping sends a heartbeat and waits up to timeout for the echo.
func (c *Client) Ping(timeout time.Duration) error {
	c.hbMu.Lock()
	defer c.hbMu.Unlock()
	done := make(chan error, 1)
	go func() {
		if err := c.hb.Send(zmq4.NewMsgString("ping")); err != nil {
			done <- err
			return
		}
		_, err := c.hb.Recv()
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(timeout):
		return errors.New("wire: heartbeat timed out")
	}
}

// Close closes every socket and waits for the receiving goroutines to end.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		c.cancel()
		for _, s := range []zmq4.Socket{c.shell, c.control, c.stdin, c.iopub, c.hb} {
			_ = s.Close()
		}
		// Unblock receivers stuck delivering to a channel nobody drains anymore.
		done := make(chan struct{})
		go func() { c.wg.Wait(); close(done) }()
		chs := []chan *Message{c.iopubCh, c.shellCh, c.controlCh}
		for {
			select {
			case <-done:
				return
			case _, ok := <-chs[0]:
				if !ok {
					chs[0] = nil
				}
			case _, ok := <-chs[1]:
				if !ok {
					chs[1] = nil
				}
			case _, ok := <-chs[2]:
				if !ok {
					chs[2] = nil
				}
			}
		}
	})
	return nil
}
