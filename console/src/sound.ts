// The new-red-alert tone, synthesised with WebAudio (no sound file to ship or fetch). The
// context is created on the sign-in click, since browsers only allow audio after a gesture.

let context: AudioContext | null = null;

export function unlockAudio(): void {
  if (!context) {
    try {
      context = new AudioContext();
    } catch {
      context = null;
    }
  }
  void context?.resume();
}

export function beep(): void {
  if (!context) return;
  const now = context.currentTime;
  for (const [offset, frequency] of [[0, 880], [0.22, 660], [0.44, 880]] as const) {
    const osc = context.createOscillator();
    const gain = context.createGain();
    osc.type = "square";
    osc.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, now + offset);
    gain.gain.exponentialRampToValueAtTime(0.15, now + offset + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + offset + 0.18);
    osc.connect(gain).connect(context.destination);
    osc.start(now + offset);
    osc.stop(now + offset + 0.2);
  }
  beeps += 1;
  document.body.dataset.beeps = String(beeps);
}

let beeps = 0;
