// Reads the fridge kit's QR code with the phone's camera; the decoder (jsQR) is loaded only when the camera opens, so the crew view stays small.

export interface Scanner {
  stop(): void;
}

/** The longest side frames are scaled to before decoding: enough for a card held at arm's length, cheap on a phone. */
const MAX_FRAME_SIDE = 640;
const FRAME_INTERVAL_MS = 150;

/** Opens the rear camera into `video` and calls `onCode` with the first QR code's text, then stops the camera. */
export async function startScanner(video: HTMLVideoElement, onCode: (text: string) => void): Promise<Scanner> {
  // The camera and the decoder at once; whichever fails, nothing is left running.
  const [camera, decoder] = await Promise.allSettled([
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }),
    import("jsqr"),
  ]);
  if (camera.status === "rejected") throw camera.reason;
  const stream = camera.value;
  if (decoder.status === "rejected") {
    for (const track of stream.getTracks()) track.stop();
    throw decoder.reason;
  }
  const jsQR = decoder.value.default;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  };
  video.srcObject = stream;
  await video.play();
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  if (context === null) {
    stop();
    throw new Error("canvas 2d unavailable");
  }
  const scanFrame = () => {
    if (stopped) return;
    if (video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA && video.videoWidth > 0) {
      const scale = Math.min(1, MAX_FRAME_SIDE / Math.max(video.videoWidth, video.videoHeight));
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      const frame = context.getImageData(0, 0, canvas.width, canvas.height);
      const found = jsQR(frame.data, frame.width, frame.height, { inversionAttempts: "attemptBoth" });
      if (found !== null && found.data !== "") {
        stop();
        onCode(found.data);
        return;
      }
    }
    timer = setTimeout(scanFrame, FRAME_INTERVAL_MS);
  };
  scanFrame();
  return { stop };
}
