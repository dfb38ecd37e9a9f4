/** A user strategy in the factory form (needs no imports) that writes Session and State per signal. */
export const PAPER_DEMO_STRATEGY = `
export default ({ z, defineStrategy }) => defineStrategy({
  name: 'paper-demo', interval: '1m',
  params: z.object({ every: z.number().int().min(1).default(7) }),
  async getSignal(ctx) {
    if (ctx.index % ctx.params.every !== 0) return null;
    await ctx.session.set({ lastSignalAt: ctx.time });
    await ctx.state.set(ctx.signalId, 'entry', { price: ctx.price, index: ctx.index });
    return { position: 'long', priceTakeProfit: ctx.price * 1.002, priceStopLoss: ctx.price * 0.998, minuteEstimatedTime: 5 };
  },
});`;
