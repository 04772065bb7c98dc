// Writes a large dump shaped like a real leak, for timing weave-dump: make_big_dump N FILE.
// Most fibers are one leak (a handler blocked sending on its own unbuffered channel), a fifth wait
// on a mutex held by one of them, and the rest spread over 60 smaller groups; every fiber has a
// ten-frame stack of symbolized C++ names, as the debug runtime writes them.
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

const char* const kFrames[] = {
    "weave::detail::park(weave::detail::Task*, weave::detail::WaitReason, void const*)",
    "weave::detail::ChanBase::send_slow(void*, weave::detail::Location const&)",
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
const char* const kFiles[] = {"runtime/src/sched.cc",
                              "runtime/src/chan.cc",
                              "runtime/include/weave/chan.h",
                              "server/handler.cc",
                              "server/handler.cc",
                              "/usr/include/c++/12/bits/std_function.h",
                              "runtime/src/fiber.cc",
                              "runtime/src/fiber.cc",
                              "runtime/src/context_switch.cc",
                              "runtime/src/context_switch.S"};

void location(std::FILE* out, const char* file, long line, const char* function) {
  std::fprintf(out, "{\"file\":\"%s\",\"line\":%ld,\"function\":\"%s\"}", file, line, function);
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
  std::fprintf(out, "{\"version\":1,\"reason\":\"exit\",\"fibers\":[\n");
  unsigned long long seed = 12345;
  for (long i = 0; i < n; ++i) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    const long id = i + 2;
    const int shape = i % 10;  // 0..6: the channel leak, 7..8: the mutex, 9: a smaller group
    const long small = static_cast<long>((seed >> 33) % 60);
    // Waits of up to about an hour.
    std::fprintf(out, "%s{\"id\":%ld,\"state\":\"%s\",\"wait_ns\":%llu,\"unreachable\":%s,",
                 i ? ",\n" : "", id,
                 shape < 7   ? "chan send"
                 : shape < 9 ? "mutex lock"
                             : "select",
                 (seed >> 11) % 3600000000000ull, shape < 7 ? "true" : "false");
    std::fprintf(out, "\"blocked_at\":");
    location(out, "server/handler.cc",
             shape < 7   ? 45
             : shape < 9 ? 61
                         : 200 + small,
             "server::Handler::handle_request(weave::Context, server::Request const&)");
    std::fprintf(out, ",\"created_at\":");
    location(out, "server/handler.cc", shape < 9 ? 120 : 300 + small,
             "server::Handler::serve(weave::Context)");
    std::fprintf(out, ",\"parent\":1,\"stack\":[");
    for (int f = 0; f < 10; ++f) {
      if (f) std::fputc(',', out);
      location(out, kFiles[f], 40 + f * 7, kFrames[f]);
    }
    std::fprintf(out, "],\"object\":");
    if (shape < 7) {
      std::fprintf(out, "{\"kind\":\"chan\",\"id\":%ld,\"created_at\":", 1000000000 + id);
      location(out, "server/handler.cc", 44,
               "server::Handler::handle_request(weave::Context, server::Request const&)");
      std::fprintf(out, ",\"cap\":0,\"len\":0,\"closed\":false,\"holders\":[%ld]}}", id);
    } else if (shape < 9) {
      std::fprintf(out, "{\"kind\":\"mutex\",\"id\":7,\"created_at\":");
      location(out, "server/cache.cc", 12, "server::Cache::Cache()");
      std::fprintf(out, ",\"holder\":%d}}", 2 + 9);
    } else {
      std::fprintf(out, "{\"kind\":\"chan\",\"id\":%ld,\"created_at\":", 500 + small);
      location(out, "server/handler.cc", 190, "server::Handler::serve(weave::Context)");
      std::fprintf(out, ",\"cap\":4,\"len\":0,\"closed\":false}}");
    }
  }
  std::fprintf(out, "\n],\"races\":[],\"locks\":[]}\n");
  return std::fclose(out) == 0 ? 0 : 2;
}
