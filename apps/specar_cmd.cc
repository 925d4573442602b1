/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `tfmed train / eval specar`: argument structs in, printing out; the work is
 * in the core (tfmed::train::train_specar, tfmed::eval::evaluate_specar).
 */
#include "specar_cmd.h"
#include "common.h"
#include "progress_view.h"

#include <tfmed/eval/specar_eval.h>
#include <tfmed/train/specar_trainer.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>

namespace tfmed {
namespace apps {

using nlohmann::json;

int train_specar(const SpecarTrainArgs& a)
{
    for (const auto* p : { &a.json, &a.plot })
        if (!p->empty())
            check_writable(*p);
    auto view = std::make_shared<ProgressView>();
    const auto r = train::train_specar(a.cfg, [view](const train::Event& e) { (*view)(e); });
    if (!r.completed)
        return 0;
    std::printf("%s\n", r.summary.c_str());
    if (!a.json.empty())
        write_atomically(a.json, json{ { "model", r.model_path },
                                       { "threshold", r.threshold },
                                       { "history", json::parse(r.history_json) },
                                       { "training", json::parse(r.training_json) } }
                                         .dump(1) +
                                     "\n");
    return 0;
}

int eval_specar(const SpecarEvalArgs& a)
{
    if (!a.json.empty())
        check_writable(a.json);
    eval::SpecarEvalConfig c;
    c.model = a.model;
    c.data_dir = a.data_dir;
    c.device = a.device;
    c.threads = a.threads;
    c.batch = a.batch;
    Progress bar("scoring", 1);
    const auto r = eval::evaluate_specar(c);
    bar.finish("scored " + std::to_string(r.energy.size()) + " test points");
    std::printf("%s on MSL: %s\n", r.model.c_str(), r.protocol.c_str());
    std::printf("%lld test points (%lld anomalous, %lld unscored at the end)\n",
                static_cast<long long>(r.test_points), static_cast<long long>(r.anomalous_points),
                static_cast<long long>(r.unscored_tail));
    std::printf("%-22s %10s | %6s %6s %6s | %6s %6s %6s\n", "threshold from", "value", "P", "R",
                "F1", "P(pa)", "R(pa)", "F1(pa)");
    for (const auto& d : r.scores)
        std::printf("%-22s %10.5f | %6.2f %6.2f %6.2f | %6.2f %6.2f %6.2f\n",
                    (d.threshold_from == "train" ? "train (clean)" : "train+test (reference)"),
                    d.threshold, 100 * d.precision, 100 * d.recall, 100 * d.f1,
                    100 * d.pa_precision, 100 * d.pa_recall, 100 * d.pa_f1);
    std::printf("pa = point adjustment (TSLib's, uses the ground truth); %%, binary, "
                "anomaly = positive\n");
    if (!a.json.empty())
        write_atomically(a.json, r.json() + "\n");
    return 0;
}

} // namespace apps
} // namespace tfmed
