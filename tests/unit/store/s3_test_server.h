// An in-process HTTP server (cpp-httplib) for the S3 store's protocol tests:
// it records every request, checks its SigV4 signature the way S3 does
// (recomputing it from what arrived on the wire with the shared secret), and
// answers with whatever the test's handler says. It is a test harness for
// what s3rver cannot show (If-None-Match, failing parts, Content-MD5), not an
// S3 server: handlers script each answer.
#pragma once

#include <httplib.h>

#include <catch2/catch.hpp>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/aws_sigv4.h"

namespace coffer::testing {

struct RecordedRequest {
  std::string method;
  std::string target;                        // Raw request target: encoded path and query, as sent.
  std::string path;                          // `target` up to '?'.
  std::map<std::string, std::string> query;  // Decoded.
  std::map<std::string, std::string> headers;  // Lower-case names.
  std::string body;
  std::string signature_problem;  // Empty when the signature checks out.

  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
  }
  bool HasQuery(const std::string& name) const { return query.count(name) > 0; }
  std::string Query(const std::string& name) const {
    auto it = query.find(name);
    return it == query.end() ? "" : it->second;
  }
};

class S3TestServer {
 public:
  using Handler = std::function<void(const RecordedRequest&, httplib::Response&)>;

  // Requests are checked against these credentials and region.
  S3TestServer(SigV4Credentials credentials, std::string region);
  ~S3TestServer();

  // Answers every request; called after the request is recorded.
  void SetHandler(Handler handler);
  void Start();
  std::string Endpoint() const;  // "http://127.0.0.1:PORT"

  std::vector<RecordedRequest> Requests() const;
  size_t Count(const std::string& method) const;

 private:
  void Serve(const httplib::Request& req, httplib::Response& res);

  const SigV4Credentials credentials_;
  const std::string region_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mu_;
  Handler handler_;
  std::vector<RecordedRequest> requests_;
};

// "<Error><Code>CODE</Code><Message>MESSAGE</Message></Error>"
std::string S3ErrorXml(const std::string& code, const std::string& message);

}  // namespace coffer::testing
