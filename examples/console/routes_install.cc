// Deploying an agent: GET /install.sh (a POSIX sh script that downloads the
// agent files, checks their SHA-256, installs them, enrolls and starts the
// service) and GET /agent/NAME (the files). Neither needs a login: they hold
// no secret, the one-time token is given on the new machine's command line.
#include <fstream>
#include <memory>

#include "console.h"

namespace console {

// Defined in the generated assets.cc.
extern const unsigned char kInstallSh[];
extern const unsigned char kAgentUnit[];

namespace {

// 'text' for sh, with ' written as '\''.
std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char ch : text) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

void ReplaceAll(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

void InstallScript(Console& c, const httplib::Request&, httplib::Response& res) {
  if (!c.dist.available())
    return SendError(res, 503, "this console has no agent files to hand out: " + c.dist.problem());
  auto files = c.dist.Files();
  std::string script = reinterpret_cast<const char*>(kInstallSh);
  std::string unit = reinterpret_cast<const char*>(kAgentUnit);
  while (!unit.empty() && unit.back() == '\n') unit.pop_back();
  ReplaceAll(script, "@@CONSOLE_URL@@", ShellQuote(c.PublicUrl()));
  ReplaceAll(script, "@@COFFER_VERSION@@", ShellQuote(c.dist.Version()));
  ReplaceAll(script, "@@AGENT_ARCH@@", ShellQuote(c.dist.Arch()));
  ReplaceAll(script, "@@COFFER_SHA256@@", files[0].sha256);
  ReplaceAll(script, "@@LIB_NAME@@", ShellQuote(files[1].name));
  ReplaceAll(script, "@@LIB_SHA256@@", files[1].sha256);
  ReplaceAll(script, "@@LIB_SONAME@@", AgentDist::kSoname);
  ReplaceAll(script, "@@SERVICE_UNIT@@", unit);
  res.set_header("Cache-Control", "no-store");  // the sums change with the files
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_content(script, "text/x-shellscript; charset=utf-8");
}

void AgentFileDownload(Console& c, const httplib::Request& req, httplib::Response& res) {
  auto path = c.dist.PathOf(req.matches[1].str());
  if (!path) return SendError(res, 404, "no agent file " + req.matches[1].str());
  auto in = std::make_shared<std::ifstream>(*path, std::ios::binary);
  in->seekg(0, std::ios::end);
  auto size = static_cast<size_t>(in->tellg());
  in->seekg(0);
  if (!*in) return SendError(res, 500, "cannot read " + path->string());
  res.set_header("Cache-Control", "no-store");
  res.set_content_provider(size, "application/octet-stream",
                           [in](size_t offset, size_t length, httplib::DataSink& sink) {
                             std::vector<char> buf(std::min<size_t>(length, 1 << 16));
                             in->seekg(static_cast<std::streamoff>(offset));
                             in->read(buf.data(), static_cast<std::streamsize>(buf.size()));
                             auto n = static_cast<size_t>(in->gcount());
                             if (n == 0)
                               return false;  // the file shrank: the client sees a short body
                             return sink.write(buf.data(), n);
                           });
}

}  // namespace

InstallCommands InstallCommandsFor(Console& c, const std::string& token) {
  std::string url = c.PublicUrl();
  InstallCommands out;
  out.enroll =
      "coffer agent enroll --console " + url + " --token " + token + " && coffer agent run";
  if (!c.dist.available()) {
    out.install = out.enroll;
    return out;
  }
  out.install = "curl -fsSL " + url + "/install.sh | sudo sh -s -- --token " + token;
  if (url.rfind("https://", 0) == 0)
    out.install_private_ca = "curl -fsSL --cacert ca.pem " + url +
                             "/install.sh | sudo sh -s -- --token " + token + " --cacert ca.pem";
  return out;
}

void AddInstallRoutes(Console& c, httplib::Server& server) {
  server.Get("/install.sh", [&c](const httplib::Request& req, httplib::Response& res) {
    InstallScript(c, req, res);
  });
  server.Get(R"(/agent/([A-Za-z0-9._+-]+))",
             [&c](const httplib::Request& req, httplib::Response& res) {
               AgentFileDownload(c, req, res);
             });
}

}  // namespace console
