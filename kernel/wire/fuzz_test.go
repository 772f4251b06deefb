package wire

import (
	"bytes"
	"testing"
)

// FuzzDecode feeds the wire decoder arbitrary frames (the fuzz input split at 0x00 bytes): it
// must never panic, must refuse every message not signed with the key, and a message it accepts
// must encode back to frames that decode to the same header and content.
//
//	go test ./kernel/wire -run '^$' -fuzz FuzzDecode -fuzztime 30s
func FuzzDecode(f *testing.F) {
	s, _ := NewSigner("hmac-sha256", "key")
	m, _ := NewMessage("session", "execute_request", map[string]any{"code": "1"})
	m.Identities = [][]byte{[]byte("id")}
	frames, _ := s.Encode(m)
	f.Add(bytes.Join(frames, []byte{0}))
	f.Add([]byte(Delimiter))
	f.Add([]byte("id\x00" + Delimiter + "\x00sig\x00{}\x00{}\x00{}\x00{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		frames := bytes.Split(data, []byte{0})
		m, err := s.Decode(frames)
		if err != nil {
			return
		}
		// Accepted: the signature must be the key's.
		i := 0
		for !bytes.Equal(frames[i], []byte(Delimiter)) {
			i++
		}
		if want := s.Sign(frames[i+2 : i+6]); string(frames[i+1]) != want {
			t.Fatalf("accepted a message whose signature %q is not the key's %q", frames[i+1], want)
		}
		enc, err := s.Encode(m)
		if err != nil {
			t.Fatalf("encoding a decoded message: %v", err)
		}
		back, err := s.Decode(enc)
		if err != nil {
			t.Fatalf("re-encoded message does not decode: %v", err)
		}
		if back.Header != m.Header || !bytes.Equal(back.Content, m.Content) {
			t.Fatalf("round trip changed the message: %+v -> %+v", m, back)
		}
	})
}
