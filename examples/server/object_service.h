// The object protocol of coffer-server (docs/SERVER.md) over a coffer_store:
// each request names a store key (the request path without its leading
// '/', so "/alice/repo/config" is the key "alice/repo/config"); who may ask
// for which key is decided before these handlers run (server.cc).
//
// With `append_only`, objects are created but never replaced or deleted.
// The one exception is lock objects ("…/locks/<64 hex digits>"), which
// clients create and remove around every operation. Writing the same bytes
// again over an existing object is not a change and succeeds, so a client's
// retry of an upload whose answer it lost does not fail.
//
// Thread-safety: handlers may run concurrently (coffer_store allows it).
#pragma once

#include <httplib.h>

#include <string>

#include "coffer/coffer.h"

namespace server {

class ObjectService {
 public:
  ObjectService(coffer_store* store, bool append_only);

  void Get(const httplib::Request& req, httplib::Response& res, const std::string& key);
  // `body` is the request body, read by the caller once the login passed.
  void Put(const httplib::Request& req, httplib::Response& res, const std::string& key,
           const std::string& body);
  void Delete(const httplib::Request& req, httplib::Response& res, const std::string& key);

  // A lock object a client may remove even from an append-only server.
  static bool IsLockObject(const std::string& key);

 private:
  void List(const httplib::Request& req, httplib::Response& res, const std::string& dir);
  void Info(httplib::Response& res);
  // Answers a failed store call: the status as HTTP and the message, with
  // the server's own store location taken out of it.
  void Fail(httplib::Response& res, coffer_status status, coffer_error* err, int invalid_status);

  coffer_store* store_;
  bool append_only_;
  std::string store_description_;
};

// Plain-text error answer.
void SetError(httplib::Response& res, int status, const std::string& message);

}  // namespace server
