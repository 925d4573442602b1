/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the files of `tfmed score` share (score_cmd.cc: the command, its
 * report and options; score_input.cc: the input at the model's rate;
 * score_windows.cc: the engines over the windows; score_draw.cc: the PNG).
 */
#ifndef INCLUDED_TFMED_APPS_SCORE_H
#define INCLUDED_TFMED_APPS_SCORE_H

#include <tfmed/data/windows.h>
#include <tfmed/io/recording.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace tfmed {
namespace models {
struct CardHead;
}
namespace apps {
namespace score {

/*! The options of `tfmed score` (add_score_commands in score_cmd.cc). */
struct ScoreArgs {
    std::string model, input, device = "auto", csv, json_path, plot;
    std::vector<std::string> channels;
    std::vector<std::string> normal{ "N" };
    double hop_s = 0.0, from = 0.0, to = 0.0, rate = 0.0;
    double threshold = std::numeric_limits<double>::quiet_NaN();
    int threads = 0, batch = 16;
    bool no_gate = false;
    bool normal_given = false; //!< --normal on the command line
};

/*! The input at the model's rate, and how it is cut into windows. */
struct Input {
    io::Recording r;         //!< the model's channels, at `rate`
    double rate_in = 0.0;    //!< Hz of the file (0: unknown)
    double rate = 0.0;       //!< Hz of the samples (the model's, or the nearest ratio's to it; else the file's)
    double hop_rate = 0.0;   //!< Hz that --hop's seconds count samples at (the model's nominal rate)
    double t0 = 0.0;         //!< seconds (or samples) of the first sample kept
    int64_t first = 0;       //!< first sample kept, at the file's rate
    int64_t W = 0, hop = 0;  //!< window and hop, samples
    bool resampled = false;
    /*! Where rate_in came from: "file" (WFDB, EDF), "--rate", "assumed"
     *  (a table without --rate, taken at the model's rate) or "unknown"
     *  (neither the table nor the card states one). */
    std::string rate_source;

    /*! Start of window i: seconds (samples where no rate is known). */
    double start(int64_t i) const
    {
        return rate > 0 ? t0 + static_cast<double>(i * hop) / rate
                        : static_cast<double>(first + i * hop);
    }
};

/*! What the model said, per window. */
struct Scores {
    std::vector<double> score, extra1, extra2; //!< score (or the decision's probability), two more columns
    std::vector<std::string> status;
    std::vector<std::string> reason, detail; //!< TSRNet: why a window was not scored (short; with figures)
    std::vector<int> alarm, cls, label, beats;
    std::vector<std::vector<float>> probs;
    std::vector<std::string> class_names, columns;
    double threshold = 0.0;
    std::string device;
};

/*! "a, b, c", or "(none)". */
std::string join(const std::vector<std::string>& v);
/*! A number for CSV and messages: %.6g, "nan" for NaN. */
std::string csv_field(double v);
/*! Text for a CSV field (RFC 4180): quoted, inner quotes doubled, when it
 *  holds a comma, a quote or a line break (a card's class name may). */
std::string csv_text(const std::string& s);
/*! A time for the CSV: %.12g (seconds to the microsecond up to 11 days). */
std::string time_field(double t);

/*! The input file read, cut to --from/--to, its channels picked (by name
 *  or index) and resampled to the model's rate; the window and hop. */
Input prepare_input(const ScoreArgs& a, const models::CardHead& head);

/*! The model of kind `kind` (tsrnet, specar, trls) over the n windows of
 *  `in`, --batch at a time (memory stays that of one chunk). */
Scores score_windows(const ScoreArgs& a, const std::string& kind, const std::string& task,
                     const Input& in, const data::WindowOptions& wo, int64_t n);

#ifdef TFMED_HAVE_PLOT
/*! --plot: the first channel with the non-normal beats marked, above the
 *  scores or class probabilities per window. Does nothing without --plot. */
void draw(const ScoreArgs& a, const std::string& kind, const std::string& task, const Input& in,
          const Scores& res, const data::WindowOptions& wo, int64_t n);
#endif

} // namespace score
} // namespace apps
} // namespace tfmed

#endif /* INCLUDED_TFMED_APPS_SCORE_H */
