// Vocabulary shared by every weave header: Unit (Go's struct{}), Panic (Go's run-time panics) and
// the source location every blocking call records for the fiber dump.
#pragma once

#include <source_location>
#include <stdexcept>
#include <string>

namespace weave {

// Go's struct{}: the element of channels that only signal.
struct Unit {
  friend constexpr bool operator==(Unit, Unit) { return true; }
};

// Thrown where Go panics at run time: send on a closed channel, close of a closed or nil channel,
// a negative WaitGroup counter. Deriving from std::logic_error says what it is: a program bug.
// Left uncaught, it is reported as Go reports a panic: `panic: <what>` on stderr, then abort.
class Panic : public std::logic_error {
 public:
  explicit Panic(const std::string& what);
};

// Where an operation was called from. Every blocking call takes one as a defaulted last argument,
// so a parked fiber can say where it waits without a symbolizer.
using Location = std::source_location;

}  // namespace weave
