// Surveys: design (CSAT, NPS, custom questionnaires), close, results.
import { request } from '../api';
import type { Survey } from './loyalty';

export type QuestionType = 'scale' | 'choice' | 'yesno' | 'text';
export interface Question {
  key: string;
  label: string;
  type: QuestionType;
  scale_max?: number;
  choices?: string[];
  required?: boolean;
  attitude?: 'satisfaction' | 'repurchase_intention' | null;
}
export interface NewSurvey { name: string; kind: 'csat' | 'nps' | 'custom'; question?: string | null; questions?: Question[] }
export interface Results {
  survey_id: number;
  kind: string;
  responses: number;
  scored: number;
  mean: number | null;
  distribution: Record<string, number>;
  csat?: number | null;
  nps?: number | null;
  promoters?: number;
  passives?: number;
  detractors?: number;
}

export async function createSurvey(body: NewSurvey): Promise<Survey> {
  return (await request<Survey>('POST', '/surveys', { body })).data;
}
export async function closeSurvey(id: number): Promise<Survey> {
  return (await request<Survey>('POST', `/surveys/${id}/close`)).data;
}
export async function results(id: number): Promise<Results> {
  return (await request<Results>('GET', `/surveys/${id}/results`)).data;
}
