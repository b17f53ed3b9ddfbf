#pragma once
// Numbers for people: durations, byte sizes and counts.

#include <optional>
#include <string>

#include "migration/migration.h"
#include "sampler/samples.h"

namespace migsim::reports {

// "850 µs", "12.3 ms", "4.21 s", "3 min 12 s", "2 h 05 min".
std::string human_seconds(double seconds);

// "512 B", "3.4 kB", "215 MB", "1.2 GB" (powers of 1024, as PostgreSQL prints).
std::string human_bytes(double bytes);

// "1,000,000".
std::string grouped(long long n);

// "3 runs per slice"; where a slice size's runs stopped once two agreed
// (SamplingOptions::agreement), "up to 3 runs per slice (2 at 2 of 3 sizes,
// where two agreed within 5 %)".
std::string runs_per_slice(const sampler::Samples& samples);

// ANSI colour for a terminal; with `on` false, the text unchanged.
enum class Colour { green, yellow, red, bold };
std::string paint(const std::string& text, Colour colour, bool on);

// Text made safe for XML and HTML content and attributes (& < > " ').
std::string xml_escape(const std::string& text);

}  // namespace migsim::reports

namespace migsim::reports {

using migration::parse_duration;

}  // namespace migsim::reports
