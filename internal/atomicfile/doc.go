// Package atomicfile writes files whole or not at all: the content goes to a
// temporary file in the target's folder, which is then renamed over the
// target, so a reader sees the old file or the complete new one, never a part.
package atomicfile
