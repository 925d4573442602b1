/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One worker of a data-parallel training world, for check_distributed.py:
 * a small regression network (no dropout, no random draws, no parameter
 * whose gradient is zero by construction) trained through tfmed::train::run
 * in the world the environment describes (RANK, WORLD_SIZE, MASTER_ADDR,
 * MASTER_PORT; none = one process). Rank 0 writes the final weights as text.
 *
 *   dist_worker --out W.txt --batch B --epochs E [--checkpoint C] [--resume]
 *               [--die-at K | --hang-at K]   (rank 1, at its K-th batch)
 *               [--hidden H]                 (the hidden width, 12 by default)
 *               [--stop-after K]             (return after K epochs, resumable)
 */
#include <tfmed/train/distributed.h>
#include <tfmed/train/trainer.h>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>

using namespace tfmed;

namespace {

struct RegNetImpl : torch::nn::Module {
    explicit RegNetImpl(int64_t hidden = 12)
    {
        fc1 = register_module("fc1", torch::nn::Linear(6, hidden));
        fc2 = register_module("fc2", torch::nn::Linear(hidden, 3));
    }
    torch::Tensor forward(const torch::Tensor& x) { return fc2(torch::tanh(fc1(x))); }
    torch::nn::Linear fc1{ nullptr }, fc2{ nullptr };
};
TORCH_MODULE(RegNet);

class RegTask : public train::Task
{
public:
    RegTask(int die_at, int hang_at, int64_t hidden) : die_at_(die_at), hang_at_(hang_at)
    {
        torch::manual_seed(5);
        // Different weights on every rank before the start: the loop's
        // broadcast from rank 0 must make them equal.
        net = RegNet(hidden);
        torch::manual_seed(17);
        const auto m = torch::randn({ 6, 3 });
        x = torch::randn({ 22, 6 });
        y = torch::sin(x.matmul(m));
        xv = torch::randn({ 10, 6 });
        yv = torch::sin(xv.matmul(m));
        if (train::dist::rank() != 0) {
            torch::NoGradGuard ng;
            for (auto& p : net->parameters())
                p.add_(1.0);
        }
    }
    torch::nn::Module& module() override { return *net; }
    int64_t train_size() const override { return x.size(0); }
    torch::Tensor loss(const std::vector<int64_t>& idx, std::mt19937_64&) override
    {
        ++calls_;
        if (train::dist::rank() == 1 && calls_ == die_at_) {
            std::fprintf(stderr, "dist_worker: rank 1 kills itself at its batch %d\n", calls_);
            std::fflush(stderr);
            std::raise(SIGKILL);
        }
        if (train::dist::rank() == 1 && calls_ == hang_at_) {
            std::fprintf(stderr, "dist_worker: rank 1 stops itself at its batch %d\n", calls_);
            std::fflush(stderr);
            std::raise(SIGSTOP);
        }
        const auto i = torch::tensor(idx, torch::kLong);
        return torch::mse_loss(net->forward(x.index_select(0, i)), y.index_select(0, i));
    }
    double validate() override
    {
        torch::NoGradGuard ng;
        return torch::mse_loss(net->forward(xv), yv).item<double>();
    }
    std::string metric_name() const override { return "val_mse"; }
    std::string card_json(const std::string& training) override
    {
        return nlohmann::json{ { "model", "toy" },
                               { "format", 2 },
                               { "training", nlohmann::json::parse(training) } }
            .dump();
    }

    RegNet net{ nullptr };
    torch::Tensor x, y, xv, yv;

private:
    int die_at_, hang_at_;
    int calls_ = 0;
};

} // namespace

int main(int argc, char** argv)
{
    std::string out, checkpoint;
    int64_t batch = 8;
    int epochs = 3, die_at = 0, hang_at = 0;
    int64_t hidden = 12;
    int stop_after = 0;
    bool resume = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::cerr << "dist_worker: " << a << " expects a value\n";
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--out")
            out = next();
        else if (a == "--batch")
            batch = std::stoll(next());
        else if (a == "--epochs")
            epochs = std::stoi(next());
        else if (a == "--checkpoint")
            checkpoint = next();
        else if (a == "--resume")
            resume = true;
        else if (a == "--die-at")
            die_at = std::stoi(next());
        else if (a == "--hang-at")
            hang_at = std::stoi(next());
        else if (a == "--hidden")
            hidden = std::stoll(next());
        else if (a == "--stop-after")
            stop_after = std::stoi(next());
        else {
            std::cerr << "dist_worker: unknown argument " << a << "\n";
            return 2;
        }
    }
    try {
        at::set_num_threads(1);
        const auto world = train::dist::world_from_environment();
        train::dist::init(world, "cpu");
        RegTask task(die_at, hang_at, hidden);
        train::LoopOptions lo;
        lo.epochs = epochs;
        lo.batch = batch;
        lo.optimizer.name = "adam";
        lo.optimizer.lr = 0.01;
        lo.schedule.name = "cosine";
        lo.select = "last";
        lo.checkpoint = checkpoint;
        lo.stop_after = stop_after;
        const auto r = train::run(task, lo, torch::kCPU, resume, nullptr);
        if (train::dist::is_writer() && !out.empty()) {
            std::ofstream f(out);
            f.precision(9);
            for (const auto& p : task.net->named_parameters()) {
                const auto c = p.value().contiguous();
                f << p.key();
                for (int64_t k = 0; k < c.numel(); ++k)
                    f << ' ' << c.data_ptr<float>()[k];
                f << '\n';
            }
            f << "history " << r.history_json << '\n';
        }
        train::dist::shutdown(true);
    } catch (const std::exception& e) {
        std::string m = e.what();
        const auto bt = m.find("\nException raised from ");
        if (bt != std::string::npos)
            m.erase(bt);
        std::cerr << "dist_worker: " << m << "\n";
        return 3;
    }
    return 0;
}
