// The agent's HTTP(S) connection to the console (cpp-httplib client). One
// per thread: a client is not shared between threads.
#pragma once

#include <httplib.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace cli::agent {

struct Config;

struct Response {
  int status = 0;       // 0: no answer (connection failed)
  nlohmann::json body;  // parsed JSON body, or null
  std::string error;    // what went wrong, for messages
  bool ok() const { return status >= 200 && status < 300; }
};

class ConsoleClient {
 public:
  // `credential` empty: no Authorization header (enrollment).
  ConsoleClient(const std::string& url, const std::string& credential, const std::string& ca_file,
                bool insecure_skip_verify, int read_timeout_seconds = 30);
  Response Get(const std::string& path);
  Response Post(const std::string& path, const nlohmann::json& body);
  // Aborts a request in flight (from another thread).
  void Stop();

 private:
  Response Finish(const httplib::Result& result);
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace cli::agent
