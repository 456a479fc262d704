// The web UI: one page, one script, one style sheet, compiled into the
// program (assets.cc is generated from web/ at build time), served with a
// strict Content-Security-Policy since nothing is loaded from elsewhere.
#include "console.h"

namespace console {

// Defined in the generated assets.cc.
extern const unsigned char kIndexHtml[];
extern const unsigned char kAppJs[];
extern const unsigned char kAppCss[];

namespace {

void Static(httplib::Response& res, const unsigned char* bytes, const char* type) {
  const char* body = reinterpret_cast<const char*>(bytes);
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                 "frame-ancestors 'none'; form-action 'self'");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Cache-Control", "no-cache");
  res.set_content(body, type);
}

}  // namespace

void AddWebRoutes(httplib::Server& server) {
  auto index = [](const httplib::Request&, httplib::Response& res) {
    Static(res, kIndexHtml, "text/html; charset=utf-8");
  };
  server.Get("/", index);
  server.Get("/index.html", index);
  server.Get("/app.js", [](const httplib::Request&, httplib::Response& res) {
    Static(res, kAppJs, "text/javascript; charset=utf-8");
  });
  server.Get("/favicon.svg", [](const httplib::Request&, httplib::Response& res) {
    static const unsigned char kIcon[] =
        "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'>"
        "<rect width='32' height='32' rx='8' fill='#2f5bea'/>"
        "<rect x='7' y='9' width='18' height='14' rx='3' fill='none' stroke='#fff' "
        "stroke-width='2.5'/>"
        "<path d='M7 14h18' stroke='#fff' stroke-width='2.5'/></svg>";
    Static(res, kIcon, "image/svg+xml");
  });
  server.Get("/favicon.ico", [](const httplib::Request&, httplib::Response& res) {
    res.status = 204;  // browsers ask regardless; the page links the SVG
  });
  server.Get("/app.css", [](const httplib::Request&, httplib::Response& res) {
    Static(res, kAppCss, "text/css; charset=utf-8");
  });
}

}  // namespace console
