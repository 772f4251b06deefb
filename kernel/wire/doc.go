// Package wire is a minimal Jupyter client for the messaging protocol v5.3 over ZeroMQ
// (github.com/go-zeromq/zmq4, pure Go).
//
// It writes connection files ([NewConnectionInfo], [ConnectionInfo.WriteFile]), signs and
// verifies multipart messages with HMAC-SHA256 ([Signer]), and connects the five channels of a
// kernel ([Dial]): shell, control and stdin as DEALER sockets, iopub as a SUB socket subscribed to
// every topic, and the heartbeat as a REQ socket. Messages received with a bad signature are
// dropped and counted ([Client.BadSignatures]). Headless clients have no stdin: every
// input_request is answered with an empty input_reply.
package wire
