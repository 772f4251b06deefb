// Package backend is the one place where Labnotes notebooks, commands and
// libraries get their GoMLX compute backend.
//
// [Choose] decides, without side effects, which backend to use:
//
//  1. $GOMLX_BACKEND, when set, is used as is.
//  2. Otherwise XLA on CUDA, when an NVIDIA GPU is plausibly present
//     (/dev/nvidia0 or /proc/driver/nvidia) and a CUDA PJRT plugin is found:
//     first in go-xla's own search places ($PJRT_PLUGIN_LIBRARY_PATH, or
//     ~/.local/lib/go-xla, /usr/local/lib/go-xla, their nvidia/ subfolders,
//     the older .../gomlx/pjrt folders, $LD_LIBRARY_PATH and /etc/ld.so.conf),
//     then the plugin JAX installs in a Python site-packages folder
//     (jax_plugins/xla_cuda*/xla_cuda_plugin.so), for which it also points
//     XLA at the CUDA libraries that pip installed next to it.
//  3. Otherwise XLA on a TPU, when TPU devices are present (/dev/accel0, or
//     /dev/vfio/N on v5e and later) and a TPU plugin is found: go-xla's
//     pjrt_c_api_tpu_plugin.so in the folders above, libtpu/libtpu.so from
//     the libtpu pip package in a Python site-packages folder, or a system
//     libtpu.so.
//  4. Otherwise XLA on CPU, when go-xla's CPU PJRT plugin
//     (pjrt_c_api_cpu*_plugin.so) is in its folders and `labnotes doctor
//     --bench` measured it faster than the pure-Go backend on this machine
//     (the record is kept in [BenchFile]); a plugin not yet measured is not
//     used.
//  5. Otherwise the pure-Go backend ("go").
//
// [Backends] lists go, xla:cuda, xla:cpu and xla:tpu, each available or
// missing with the command that installs it; [Bench] times them.
//
// [New] applies the choice (environment variables included), creates the
// backend once per process and prints a single line to stdout:
//
//	backend: go (no NVIDIA GPU: neither /dev/nvidia0 nor /proc/driver/nvidia exists; compute float32)
//
// The last part names the precision trainers compute in by default,
// [DefaultDType]: bfloat16 for XLA on a GPU or TPU, float32 otherwise.
// [Precision] is the one precision setting of every trainer in lib
// (recursive, performer/transformer, cil/deep): [Auto] (that default),
// [Float32] or [BFloat16] (mixed precision); [ParsePrecision] reads it from
// a flag ("f32", "float32", "bf16", "bfloat16" or empty).
//
// With a CUDA plugin, XLA keeps its GPU autotuning results on disk
// (XLA_FLAGS --xla_gpu_per_fusion_autotune_cache_dir, in a folder per plugin
// build under $LABNOTES_XLA_CACHE or <user cache folder>/labnotes/xla;
// [CacheEnv] "off" turns it off), so that compiling the same graphs again
// (a resumed training, a notebook run twice) skips the autotuner.
//
// Nothing is ever downloaded: GOMLX_NO_AUTO_INSTALL is set and go-xla's
// auto-installer is disabled.
package backend
