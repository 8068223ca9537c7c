// Encoding and bounds-checked decoding of every frame in frame.h. Malformed input yields
// FRAME_ENCODING_ERROR (or the more specific code RFC 9000 names) with the frame type.
#pragma once
#include <span>

#include "braid/error.h"
#include "core/wire/frame.h"
#include "core/wire/varint.h"

namespace braid::wire {

enum class PacketKind : uint8_t { kInitial, kZeroRtt, kHandshake, kOneRtt };

// Decodes one frame at the reader's position. A run of PADDING bytes becomes one
// PaddingFrame. `frame_type_out`, if given, receives the raw frame type (for errors).
Result<Frame> decode_frame(Reader& r, uint64_t* frame_type_out = nullptr);

// The raw frame type a decoded frame was (or would be) encoded with.
uint64_t frame_type_of(const Frame& f);

// RFC 9000 §12.4 Table 3 (plus DATAGRAM and multipath frames: 0-RTT/1-RTT only, and
// multipath frames 1-RTT only). False means PROTOCOL_VIOLATION.
bool frame_allowed_in(uint64_t frame_type, PacketKind kind);
// Frames that are not ack-eliciting: ACK, PADDING, CONNECTION_CLOSE (and PATH_ACK).
bool frame_is_ack_eliciting(uint64_t frame_type);

// Encoders append to `w`; they return false (and leave w.ok() false) if it does not fit or
// the frame is not encodable (empty/misordered ACK ranges, empty CID or token, stream count
// above 2^60, PADDING of length 0). A failed encode appends nothing.
// STREAM frames are always written with an explicit Length field (type bit 0x02) so they
// can be followed by other frames; the send path uses encode_stream_frame_header to omit it.
bool encode_frame(Writer& w, const Frame& f);
// Encoded size of a frame, without writing it; 0 if the frame is not encodable.
size_t encoded_size(const Frame& f);

// STREAM frame helpers for the send path: the header size (0 if offset + data_len would
// exceed 2^62-1), how many data bytes fit into `space` bytes (with an explicit length field
// when `with_length`), and the header writer (data follows it).
size_t stream_frame_header_size(StreamId id, uint64_t offset, size_t data_len, bool with_length);
size_t stream_frame_max_data(StreamId id, uint64_t offset, size_t space, bool with_length);
bool encode_stream_frame_header(Writer& w, StreamId id, uint64_t offset, size_t data_len, bool fin,
                                bool with_length);
size_t crypto_frame_header_size(uint64_t offset, size_t data_len);
size_t crypto_frame_max_data(uint64_t offset, size_t space);
bool encode_crypto_frame_header(Writer& w, uint64_t offset, size_t data_len);

// ACK encoding with a budget: writes as many ranges as fit into min(`max_bytes`,
// w.remaining()) (the first range always), newest first. Returns false, leaving `w`
// untouched and still ok(), if not even the first range fits; invalid ranges fail `w`.
bool encode_ack_frame(Writer& w, const AckFrame& ack, size_t max_bytes);

}  // namespace braid::wire
