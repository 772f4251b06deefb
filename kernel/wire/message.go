package wire

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ProtocolVersion is the version of the Jupyter messaging protocol this package speaks.
const ProtocolVersion = "5.3"

// Delimiter separates the ZeroMQ routing identities from the message frames.
const Delimiter = "<IDS|MSG>"

// ErrBadSignature is returned by [Signer.Decode] for a message whose HMAC does not match.
var ErrBadSignature = errors.New("wire: message signature does not match")

// Header is a message header (also used for the parent header; an empty Header encodes as {}).
type Header struct {
	MsgID    string `json:"msg_id,omitempty"`
	Session  string `json:"session,omitempty"`
	Username string `json:"username,omitempty"`
	Date     string `json:"date,omitempty"`
	MsgType  string `json:"msg_type,omitempty"`
	Version  string `json:"version,omitempty"`
}

// Message is one Jupyter message.
type Message struct {
	// Identities are the ZeroMQ routing prefixes (for iopub, the topic).
	Identities [][]byte
	Header     Header
	Parent     Header
	Metadata   map[string]any
	// Content is the raw JSON content; use [Message.Decode] to read it.
	Content json.RawMessage
	Buffers [][]byte
}

// Decode unmarshals the message content into v.
func (m *Message) Decode(v any) error {
	if err := json.Unmarshal(m.Content, v); err != nil {
		return fmt.Errorf("wire: decoding %s content: %w", m.Header.MsgType, err)
	}
	return nil
}

// NewMessage returns a message of type msgType for session, with a fresh msg_id, the current
// time and content marshaled to JSON (nil content becomes {}).
func NewMessage(session, msgType string, content any) (*Message, error) {
	raw := json.RawMessage("{}")
	if content != nil {
		b, err := json.Marshal(content)
		if err != nil {
			return nil, fmt.Errorf("wire: encoding %s content: %w", msgType, err)
		}
		raw = b
	}
	return &Message{
		Header: Header{
			MsgID:    NewID(),
			Session:  session,
			Username: "labnotes",
			Date:     time.Now().UTC().Format(time.RFC3339Nano),
			MsgType:  msgType,
			Version:  ProtocolVersion,
		},
		Metadata: map[string]any{},
		Content:  raw,
	}, nil
}

// NewID returns a random UUID-4 string.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Signer signs and verifies messages with HMAC-SHA256. A Signer with an empty key neither signs
// nor verifies (the protocol's "no authentication" mode).
type Signer struct {
	key []byte
}

// NewSigner returns a Signer for the key of a connection file. Only "hmac-sha256" (or an empty
// scheme) is supported.
func NewSigner(scheme, key string) (*Signer, error) {
	if scheme != "" && scheme != "hmac-sha256" {
		return nil, fmt.Errorf("wire: unsupported signature_scheme %q (only hmac-sha256)", scheme)
	}
	return &Signer{key: []byte(key)}, nil
}

// Sign returns the hex HMAC of the four frames header, parent_header, metadata and content.
func (s *Signer) Sign(frames [][]byte) string {
	if len(s.key) == 0 {
		return ""
	}
	mac := hmac.New(sha256.New, s.key)
	for _, f := range frames {
		mac.Write(f)
	}
	return hex.EncodeToString(mac.Sum(nil))
}

// Encode returns the multipart frames of m: identities, delimiter, signature, header,
// parent_header, metadata, content and buffers.
func (s *Signer) Encode(m *Message) ([][]byte, error) {
	header, err := json.Marshal(m.Header)
	if err != nil {
		return nil, err
	}
	parent, err := json.Marshal(m.Parent)
	if err != nil {
		return nil, err
	}
	md := m.Metadata
	if md == nil {
		md = map[string]any{}
	}
	metadata, err := json.Marshal(md)
	if err != nil {
		return nil, err
	}
	content := []byte(m.Content)
	if len(content) == 0 {
		content = []byte("{}")
	}
	body := [][]byte{header, parent, metadata, content}
	frames := make([][]byte, 0, len(m.Identities)+6+len(m.Buffers))
	frames = append(frames, m.Identities...)
	frames = append(frames, []byte(Delimiter), []byte(s.Sign(body)))
	frames = append(frames, body...)
	frames = append(frames, m.Buffers...)
	return frames, nil
}

// Decode parses multipart frames into a Message, verifying the signature. It returns
// [ErrBadSignature] when the signature does not match.
func (s *Signer) Decode(frames [][]byte) (*Message, error) {
	i := 0
	for i < len(frames) && !bytes.Equal(frames[i], []byte(Delimiter)) {
		i++
	}
	if i == len(frames) {
		return nil, errors.New("wire: message has no <IDS|MSG> delimiter")
	}
	if len(frames) < i+6 {
		return nil, fmt.Errorf("wire: message has %d frames after the delimiter, want at least 5", len(frames)-i-1)
	}
	sig := frames[i+1]
	body := frames[i+2 : i+6]
	if len(s.key) > 0 {
		want := s.Sign(body)
		got := make([]byte, len(sig))
		copy(got, sig)
		if !hmac.Equal(got, []byte(want)) {
			return nil, ErrBadSignature
		}
	}
	m := &Message{Identities: frames[:i], Content: json.RawMessage(body[3]), Buffers: frames[i+6:]}
	if err := json.Unmarshal(body[0], &m.Header); err != nil {
		return nil, fmt.Errorf("wire: bad header: %w", err)
	}
	if err := json.Unmarshal(body[1], &m.Parent); err != nil {
		return nil, fmt.Errorf("wire: bad parent_header: %w", err)
	}
	if len(body[2]) > 0 {
		if err := json.Unmarshal(body[2], &m.Metadata); err != nil {
			return nil, fmt.Errorf("wire: bad metadata: %w", err)
		}
	}
	return m, nil
}
