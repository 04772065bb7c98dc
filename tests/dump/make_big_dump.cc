// Writes a large dump shaped like a real leak, for timing weave-dump: make_big_dump N FILE.
// The layout is the debug runtime's (runtime/src/debug/report.cc): one fiber a line, a stack of the
// blocking call's location then symbolized frames with their module and offset. Most fibers are
// one leak (a handler blocked sending on its own unbuffered channel), a fifth wait on a mutex held
// by one of them, and the rest spread over 60 smaller groups.
#include <cstdio>
#include <cstdlib>

namespace {

// The user's frames a fiber's stack shows above its blocking call: symbolized C++ names.
const char* const kFrames[] = {
    "weave::Chan<std::unique_ptr<Response, std::default_delete<Response> > >::send(std::unique_ptr<"
    "Response, std::default_delete<Response> >&&)",
    "server::Handler::handle_request(weave::Context, server::Request const&)",
    "server::Handler::serve(weave::Context)::{lambda()#1}::operator()() const",
    "std::_Function_handler<void (), server::Handler::serve(weave::Context)::{lambda()#1}>::_M_"
    "invoke(std::_Any_data const&)",
    "weave::detail::FiberBody<std::function<void ()> >::run()",
    "weave::detail::fiber_entry(weave::detail::Fiber*)",
    "weave::detail::context_entry(void*)",
    "start_fiber",
};

const char* const kHandler =
    "server::Handler::handle_request(weave::Context, server::Request const&)";

void location(std::FILE* out, const char* file, long line, const char* function) {
  std::fprintf(out, "{\"file\": \"%s\", \"line\": %ld, \"function\": \"%s\"}", file, line,
               function);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: make_big_dump N FILE\n");
    return 2;
  }
  const long n = std::atol(argv[1]);
  std::FILE* out = std::fopen(argv[2], "w");
  if (!out || n < 1) {
    std::fprintf(stderr, "make_big_dump: cannot write %s\n", argv[2]);
    return 2;
  }
  std::fprintf(out,
               "{\"version\": 1, \"reason\": \"exit\", \"pid\": 4242, \"unreachable_analysed\": "
               "true,\n \"fibers\": [");
  unsigned long long seed = 12345;
  for (long i = 0; i < n; ++i) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    const long id = i + 2;
    const int shape = i % 10;  // 0..6: the channel leak, 7..8: the mutex, 9: a smaller group
    const long small = static_cast<long>((seed >> 33) % 60);
    const long blocked = shape < 7 ? 45 : shape < 9 ? 61 : 200 + small;
    // Waits of up to about an hour.
    std::fprintf(out, "%s{\"id\": %ld, \"state\": \"%s\", \"wait_ns\": %llu, \"unreachable\": %s",
                 i ? ",\n  " : "\n  ", id,
                 shape < 7   ? "chan send"
                 : shape < 9 ? "mutex lock"
                             : "select",
                 (seed >> 11) % 3600000000000ull, shape < 7 ? "true" : "false");
    std::fprintf(out, ", \"blocked_at\": ");
    location(out, "server/handler.cc", blocked, kHandler);
    std::fprintf(out, ", \"created_at\": ");
    location(out, "server/handler.cc", shape < 9 ? 120 : 300 + small,
             "server::Handler::serve(weave::Context)");
    std::fprintf(out, ", \"parent\": 1, \"parent_kind\": \"fiber\", \"stack\": [");
    location(out, "server/handler.cc", blocked, kHandler);
    for (int f = 0; f < 8; ++f) {
      std::fprintf(out,
                   ", {\"file\": \"\", \"line\": 0, \"function\": \"%s\", \"module\": "
                   "\"/srv/bin/server\", \"offset\": %d}",
                   kFrames[f], 0x41a2c0 + f * 0x1c4 + (shape < 7 ? 0 : 0x10));
    }
    std::fprintf(out, "], \"object\": ");
    if (shape < 7) {
      std::fprintf(out,
                   "{\"kind\": \"chan\", \"id\": %ld, \"addr\": \"0x7f3a%08lx\", \"created_at\": ",
                   1000000000 + id, id * 64);
      location(out, "server/handler.cc", 44, kHandler);
      std::fprintf(out, ", \"cap\": 0, \"len\": 0, \"closed\": false}}");
    } else if (shape < 9) {
      std::fprintf(
          out,
          "{\"kind\": \"mutex\", \"id\": 7, \"addr\": \"0x55d0c0de1000\", \"holders\": [11]}}");
    } else {
      std::fprintf(out,
                   "{\"kind\": \"chan\", \"id\": %ld, \"addr\": \"0x7f3b%08lx\", \"created_at\": ",
                   500 + small, small * 64);
      location(out, "server/handler.cc", 190, "server::Handler::serve(weave::Context)");
      std::fprintf(out, ", \"cap\": 4, \"len\": 0, \"closed\": false}}");
    }
  }
  std::fprintf(out, "],\n \"threads\": [],\n \"races\": [],\n \"locks\": []}\n");
  return std::fclose(out) == 0 ? 0 : 2;
}
