#pragma once
// Progress on stderr: plain time-stamped lines, or on a terminal a bar that
// redraws in place for the steps that know how far along they are.

#include <iosfwd>

#include "sampler/sampler.h"

namespace migsim::app {

// Writes each progress line to `err` as "[  12.3 s] line". With `terminal`,
// a line that knows its fraction is drawn as "[  12.3 s] [#####.....]  45 %
// line" on one line that the next redraws (carriage return, erase line); the
// bar is ended with a newline when its step is done or another line comes.
// The stream must outlive the function.
sampler::ProgressFn progress_printer(std::ostream& err, bool terminal);

// Whether standard error is a terminal.
bool stderr_is_terminal();

// Whether standard output is a terminal and NO_COLOR (https://no-color.org)
// is unset or empty.
bool stdout_wants_colour();

}  // namespace migsim::app
