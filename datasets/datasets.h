#pragma once
// The files of datasets/, compiled into the binary.

#include <string>

namespace migsim::datasets {

// The text of `path` (relative to datasets/, e.g. "orders/schema.sql").
// Throws std::out_of_range for a file that is not embedded.
const std::string& file(const std::string& path);

}  // namespace migsim::datasets
