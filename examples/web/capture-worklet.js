// Runs on the audio rendering thread: copies the microphone's first channel in blocks of about
// 100 ms and posts them on its port, which the page hands to the analysis worker, so live audio
// goes from the microphone to the model without passing through the main thread.
class Capture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.block = new Float32Array(Math.round(sampleRate / 10));
    this.filled = 0;
    this.port.onmessage = ({ data }) => {
      if (data === 'flush' && this.filled > 0) {
        this.port.postMessage(this.block.slice(0, this.filled));
        this.filled = 0;
      }
    };
  }

  process(inputs) {
    const input = inputs[0]?.[0];
    if (input) {
      let at = 0;
      while (at < input.length) {
        const n = Math.min(input.length - at, this.block.length - this.filled);
        this.block.set(input.subarray(at, at + n), this.filled);
        this.filled += n;
        at += n;
        if (this.filled === this.block.length) {
          this.port.postMessage(this.block.slice());
          this.filled = 0;
        }
      }
    }
    return true;
  }
}

registerProcessor('speech-emotion-capture', Capture);
