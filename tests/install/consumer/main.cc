// Uses the installed block and the torch-free streaming engine.
#include <gnuradio/tfmed/stft.h>
#include <tfmed/dsp/stft_stream.h>

#include <iostream>

int main()
{
    auto blk = gr::tfmed::stft::make(2, 125, 63);
    tfmed::dsp::StftStream s(tfmed::dsp::StftOptions(125, 63), 2);
    std::cout << "bins " << blk->bins() << " frame_floats " << s.frame_floats() << "\n";
    return blk->bins() == 63 && s.frame_floats() == 126 ? 0 : 1;
}
