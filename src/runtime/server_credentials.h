// A runtime server's TLS credentials, settled before its loop starts: configured files are
// checked for readability and parsed once (so a typo is an error from Server::create, not
// a failed handshake later), or a self-signed certificate is generated.
#pragma once
#include <string>

#include "braid/address.h"
#include "braid/config.h"
#include "braid/error.h"
#include "braid/random.h"

namespace braid::runtime {

// Fills tls.cert_pem/key_pem when generating. Returns the generated certificate's SHA-256
// fingerprint, or an empty string when the credentials were configured.
ApiResult<std::string> prepare_server_credentials(TlsOptions& tls, const SocketAddress& listen, bool generate,
                                                  Random& rng);

}  // namespace braid::runtime
