import {
  barPercent,
  percent,
  scoreBelow,
  scorePercent,
  shareOfPercent,
} from '../web/src/ui/percent';

/** The console's percentages: quality bars typed and shown, and a score against its bar. */
describe('the console reads and shows percentages', () => {
  it('reads every percentage with up to 2 decimals as the share the API takes (4 decimals)', () => {
    // 66.6 / 100 is 0.6659999999999999, which the API refuses as more than 4 decimals.
    const refused: string[] = [];
    for (let hundredths = 0; hundredths <= 10_000; hundredths++) {
      const typed = (hundredths / 100).toString();
      const share = shareOfPercent(typed);
      if (share !== hundredths / 10_000 || Math.round(share * 1e4) / 1e4 !== share) {
        refused.push(typed);
      }
    }
    expect(refused).toEqual([]);
    expect(shareOfPercent('66.6')).toBe(0.666);
    expect(shareOfPercent(80)).toBe(0.8);
  });

  it('shows a bar to its 2 decimals, and a score in whole percents', () => {
    expect(barPercent(0.666)).toBe('66.6%');
    expect(barPercent(0.8)).toBe('80%');
    expect(barPercent(0.8125)).toBe('81.25%');
    expect(percent(0.7973)).toBe('80%');
  });

  it.each([
    [0.8, 0.75, '80%', '75%'],
    [0.8, 0.7651, '80%', '76.5%'], // as the agent's quality page says it (whole percents: 77%)
    [0.8, 0.7973, '80%', '79.7%'], // whole percents would say 80% for both
    [0.8, 0.79995, '80%', '79.9%'],
    [0.8, 0.79999, '80%', '79.9%'], // one decimal reads as below already
    [0.8, 0.7999, '80%', '79.9%'],
    [0.81, 0.8099, '81%', '80.9%'],
    [0.8055, 0.8054, '80.55%', '80.5%'], // 81% rounded: above its bar
    [0.666, 0.6, '66.6%', '60%'],
    [0.666, 0.665, '66.6%', '66.5%'], // 67% rounded: above its bar
  ])('under a bar of %s, shows a score of %s as below it', (bar, score, shownBar, shownScore) => {
    expect(scoreBelow(bar, score)).toEqual({ bar: shownBar, score: shownScore });
    expect(scoreBelow(bar, score).score).toBe(scorePercent(score));
  });

  it('shows every score a little under a bar (the 4 decimals the API keeps) as below it', () => {
    const misread: string[] = [];
    // Bars every 0.25 %, with the scores up to 2 % under each, in steps of 0.001 %.
    for (let bar = 25; bar <= 10_000; bar += 25) {
      for (let score = Math.max(0, bar * 10 - 200); score < bar * 10; score++) {
        const shown = scoreBelow(bar / 10_000, score / 100_000);
        if (!(parseFloat(shown.score) < parseFloat(shown.bar))) misread.push(`${score}/${bar}`);
      }
    }
    expect(misread).toEqual([]);
  });
});
