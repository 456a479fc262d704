#include "agent_client.h"

#include "cli.h"

namespace cli::agent {

ConsoleClient::ConsoleClient(const std::string& url, const std::string& credential,
                             const std::string& ca_file, bool insecure_skip_verify,
                             int read_timeout_seconds) {
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
    throw UsageError("console URL must start with http:// or https://, got \"" + url + "\"");
  std::string base = url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  client_ = std::make_unique<httplib::Client>(base);
  if (!client_->is_valid()) throw UsageError("console URL \"" + url + "\" is not valid");
  client_->set_connection_timeout(5);
  client_->set_read_timeout(read_timeout_seconds);
  client_->set_write_timeout(30);
  client_->set_keep_alive(true);
  if (!ca_file.empty()) client_->set_ca_cert_path(ca_file.c_str());
  // TLS is verified unless the config explicitly says otherwise.
  client_->enable_server_certificate_verification(!insecure_skip_verify);
  if (!credential.empty()) client_->set_bearer_token_auth(credential.c_str());
  client_->set_default_headers({{"User-Agent", "coffer-agent"}});
}

Response ConsoleClient::Finish(const httplib::Result& result) {
  Response r;
  if (!result) {
    switch (result.error()) {
      case httplib::Error::SSLServerVerification:
        r.error =
            "the console's TLS certificate could not be verified (give its CA with --ca-file)";
        break;
      case httplib::Error::Connection:
        r.error = "connection refused or unreachable";
        break;
      default:
        r.error = httplib::to_string(result.error());
    }
    return r;
  }
  r.status = result->status;
  r.body = nlohmann::json::parse(result->body, nullptr, false);
  if (r.body.is_discarded()) r.body = nullptr;
  if (!r.ok())
    r.error = r.body.is_object() ? r.body.value("error", result->body)
                                 : "HTTP " + std::to_string(r.status);
  return r;
}

Response ConsoleClient::Get(const std::string& path) { return Finish(client_->Get(path.c_str())); }

Response ConsoleClient::Post(const std::string& path, const nlohmann::json& body) {
  return Finish(client_->Post(path.c_str(),
                              body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                              "application/json"));
}

void ConsoleClient::Stop() { client_->stop(); }

}  // namespace cli::agent
